"""What a restarted process needs to end the calls its predecessor left on the line: per
call, the INVITE it sent (to CANCEL a call still ringing) and, once answered, the dialog (to
send the BYE). One small JSON file per call under HERALD_DATA_DIR/sip/<trunk>/, written
before the event it backs is reported (the INVITE before place() answers, the dialog before
ANSWERED), removed when the call ends. A crash can leave an entry of a call that ended:
recovery's BYE or CANCEL then gets 481 and the entry goes."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Entry:
    call_id: str  # ours
    sip_call_id: str
    remote_addr: tuple[str, int]
    invite: str  # the INVITE as sent (last one, after a digest challenge)
    max_duration_seconds: int
    # Set once answered:
    answered_at: float | None = None  # wall-clock seconds
    local_tag: str = ""
    remote_tag: str = ""
    local_uri: str = ""
    remote_uri: str = ""
    remote_target: str = ""
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 1


class Journal:
    def __init__(self, directory: Path | None) -> None:
        self._dir = directory

    def write(self, entry: Entry) -> None:
        if self._dir is None:
            return
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / f"{entry.call_id}.json"
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(entry)))
        partial.replace(path)  # whole or absent

    def remove(self, call_id: uuid.UUID | str) -> None:
        if self._dir is not None:
            (self._dir / f"{call_id}.json").unlink(missing_ok=True)

    def read(self, call_id: uuid.UUID | str) -> Entry | None:
        if self._dir is None:
            return None
        path = self._dir / f"{call_id}.json"
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        data["remote_addr"] = tuple(data["remote_addr"])
        return Entry(**data)

    # The SIP port of the process that wrote the journal: a restarted process binds it again
    # when it is free, so the trunk's answers to requests of the dead process (sent to the
    # Via of those requests, e.g. the 487 after recovery's CANCEL) reach the new one.

    def last_port(self) -> int:
        if self._dir is None:
            return 0
        try:
            return int((self._dir / "port").read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def remember_port(self, port: int) -> None:
        if self._dir is None:
            return
        self._dir.mkdir(parents=True, exist_ok=True)
        (self._dir / "port").write_text(str(port))
