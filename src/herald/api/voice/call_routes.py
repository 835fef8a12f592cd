"""A call's recording: the WAV file the call log links to (`recording_url`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from herald.api.common import container, id_in_path
from herald.voice import public_ids as ids
from herald.voice import queries

from .auth import CallsRead
from .errors import responses

router = APIRouter(prefix="/v1/calls", tags=["voice"], responses=responses(401, 403))
CallId = Annotated[str, id_in_path("The call's id.", ids.pattern(ids.CALL))]


@router.get(
    "/{call_id}/recording",
    response_class=FileResponse,
    summary="Get a Call's Recording",
    # A file download linked from the call log (recording_url), outside the JSON API's
    # document and its clients.
    include_in_schema=False,
    description="The recorded call as a WAV file (8 kHz, 16-bit, the callee left, the agent "
    "right), when its campaign records calls.",
    responses={**responses(404), 200: {"content": {"audio/wav": {}}}},
)
def get_recording(request: Request, call_id: CallId, principal: CallsRead) -> FileResponse:
    app = container(request)
    with app.db.reading() as session:
        path = queries.recording_of(
            session, principal.organization_id, ids.decode(ids.CALL, call_id), app.settings.data_dir
        )
    return FileResponse(path, media_type="audio/wav", filename=f"{call_id}.wav")
