"""Rendering step templates: Jinja2's sandbox (no attribute access to Python internals,
no imports), no HTML escaping (these are text messages), and missing lead fields render
as nothing rather than failing a send."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

MAX_RENDERED = 10_000

_env = SandboxedEnvironment(autoescape=False, undefined=ChainableUndefined)


class RenderFailed(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _env.from_string(source)


def template_error(source: str) -> str | None:
    """Why `source` does not compile, or None."""
    try:
        _compiled(source)
    except TemplateError as exc:
        return str(exc.message or exc)
    return None


def render(source: str, context: Mapping[str, Any]) -> str:
    try:
        text = _compiled(source).render(context).strip()
    except TemplateError as exc:  # includes the sandbox's SecurityError
        raise RenderFailed("TEMPLATE_ERROR", str(exc)) from exc
    if not text:
        raise RenderFailed("TEMPLATE_EMPTY", "The template rendered to an empty message.")
    if len(text) > MAX_RENDERED:
        raise RenderFailed("TEMPLATE_TOO_LONG", "The rendered message is too long.")
    return text


def static_text(source: str) -> str:
    """What a template says before any lead field is filled in (every field empty)."""
    try:
        return str(_compiled(source).render({})).strip()
    except TemplateError:
        return ""


def pick_language(available: Mapping[str, str], wanted: str | None, default: str) -> str | None:
    """The template language for a lead: its own language, then that language without its
    region ('pt-br' -> 'pt'), then the campaign's outreach language (and its base)."""
    for candidate in (wanted, _base(wanted), default, _base(default)):
        if candidate and candidate in available:
            return candidate
    return None


def _base(language: str | None) -> str | None:
    return language.split("-", 1)[0] if language and "-" in language else None
