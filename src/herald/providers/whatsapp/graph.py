"""The Cloud API's requests and answers (Meta's Graph API): the body of a send, the error
of a refusal, the pages of an account's templates. No state; the provider and the template
sync call these."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from herald.providers.base import Submission
from herald.providers.whatsapp.config import WhatsAppConfig


@dataclass(frozen=True, slots=True)
class GraphError:
    code: int  # Meta's error code (130429, 131056, ...); 0 when the answer had none
    message: str
    http_status: int


def headers(config: WhatsAppConfig) -> dict[str, str]:
    return {"authorization": f"Bearer {config.access_token}"}


def message_body(submission: Submission) -> dict[str, Any]:
    """A text, or a template when the message's payload carries one."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": submission.destination.lstrip("+"),
        # Meta echoes it on every status of this message: our id, for the logs.
        "biz_opaque_callback_data": str(submission.message_id),
    }
    template = submission.payload.get("template")
    if template:
        body["type"] = "template"
        body["template"] = template_object(template)
    else:
        body["type"] = "text"
        body["text"] = {"preview_url": False, "body": submission.text}
    return body


def template_object(template: Mapping[str, Any]) -> dict[str, Any]:
    components = []
    for kind, key in (("header", "header_parameters"), ("body", "parameters")):
        values = template.get(key) or []
        if values:
            components.append(
                {"type": kind, "parameters": [{"type": "text", "text": v} for v in values]}
            )
    return {
        "name": template["name"],
        "language": {"code": template["language"]},
        "components": components,
    }


def message_id(answer: Mapping[str, Any]) -> str | None:
    messages = answer.get("messages") or []
    return str(messages[0]["id"]) if messages and messages[0].get("id") else None


def error_of(response: httpx.Response) -> GraphError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = str(error.get("code") or "")
    return GraphError(
        int(code) if code.isdigit() else 0,
        str(error.get("message") or response.reason_phrase),
        response.status_code,
    )


def templates(client: httpx.Client, config: WhatsAppConfig) -> Iterator[dict[str, Any]]:
    """Every template of the business account, following the pages."""
    url: str | None = f"{config.api_base_url}/{config.waba_id}/message_templates"
    params: dict[str, str] | None = {
        "fields": "name,language,status,category,components",
        "limit": "100",
    }
    while url:
        response = client.get(url, params=params, headers=headers(config))
        if response.status_code != 200:
            error = error_of(response)
            raise RuntimeError(f"message_templates: ({error.code}) {error.message}")
        page = response.json()
        yield from page.get("data", [])
        url, params = (page.get("paging") or {}).get("next"), None
