"""Which replies opt out or back in."""

from __future__ import annotations

import pytest

from herald.inbound.keywords import Action, Keywords
from herald.settings import Settings

KEYWORDS = Keywords.from_settings(Settings())


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "STOPALL", "unsubscribe", "Quit."])
def test_an_opt_out_keyword_alone_opts_out_everywhere(text: str) -> None:
    assert KEYWORDS.action(text, "US") is Action.OPT_OUT


@pytest.mark.parametrize("text", ["START", "unstop", "Start."])
def test_start_and_unstop_opt_back_in(text: str) -> None:
    assert KEYWORDS.action(text, None) is Action.OPT_IN


@pytest.mark.parametrize("text", ["End of the week works for me", "please stop", "Stopped by"])
def test_a_sentence_that_contains_a_keyword_is_just_a_reply(text: str) -> None:
    assert KEYWORDS.action(text, "AO") is None


@pytest.mark.parametrize("country", ["AO", "BR", "PT", "MZ"])
def test_portuguese_keywords_count_in_portuguese_speaking_markets_only(country: str) -> None:
    for word in ("PARAR", "Sair", "cancelar"):
        assert KEYWORDS.action(word, country) is Action.OPT_OUT
    assert KEYWORDS.action("SAIR", "GB") is None


def test_keywords_are_configurable() -> None:
    keywords = Keywords.of(["BAJA"], ["ALTA"], {"es": ["DETENER"]})
    assert keywords.action("baja", "MX") is Action.OPT_OUT
    assert keywords.action("Detener", "ES") is Action.OPT_OUT
    assert keywords.action("STOP", "MX") is None
    assert keywords.action("Alta", None) is Action.OPT_IN
