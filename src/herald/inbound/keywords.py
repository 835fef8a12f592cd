"""Opt-out and opt-in keywords: a reply that is one keyword and nothing else (case, accents,
spaces and punctuation aside) opts out or back in. "End of the week works" is a plain reply.

By default STOP, STOPALL, UNSUBSCRIBE, CANCEL, END and QUIT opt out everywhere, START and
UNSTOP opt back in, and markets add their own words (PARAR, SAIR, CANCELAR where Portuguese
is spoken, by the sender's country). The lists are settings (see herald.settings).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from herald.settings import Settings

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


class Action(enum.StrEnum):
    OPT_OUT = "OPT_OUT"
    OPT_IN = "OPT_IN"


def _normal(word: str) -> str:
    # "Sair!", "sáir" and "SAIR" are the same keyword: upper case, no accents.
    decomposed = unicodedata.normalize("NFKD", word.upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Keywords:
    opt_out: frozenset[str]
    opt_in: frozenset[str]
    opt_out_by_country: Mapping[str, frozenset[str]]

    @classmethod
    def from_settings(cls, settings: Settings) -> Keywords:
        return cls.of(
            settings.opt_out_keywords,
            settings.opt_in_keywords,
            settings.opt_out_keywords_by_country,
        )

    @classmethod
    def of(
        cls,
        opt_out: Iterable[str],
        opt_in: Iterable[str],
        by_country: Mapping[str, Iterable[str]],
    ) -> Keywords:
        return cls(
            frozenset(_normal(w) for w in opt_out),
            frozenset(_normal(w) for w in opt_in),
            {c.upper(): frozenset(_normal(w) for w in words) for c, words in by_country.items()},
        )

    def action(self, text: str, country_alpha2: str | None) -> Action | None:
        word = _EDGES.sub("", _normal(text))
        if word in self.opt_in:
            return Action.OPT_IN
        local = self.opt_out_by_country.get(country_alpha2 or "", frozenset())
        if word in self.opt_out or word in local:
            return Action.OPT_OUT
        return None
