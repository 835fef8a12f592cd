"""Public ids of the voice API map one-to-one to the engine's UUIDs."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from herald.kit.ids import new_id
from herald.voice import public_ids as ids


@given(st.uuids())
def test_every_engine_id_has_one_public_id_and_back(value: uuid.UUID) -> None:
    public = ids.encode(ids.CAMPAIGN, value)
    assert public.startswith("cmp_") and len(public) == 30
    assert ids.decode(ids.CAMPAIGN, public) == value


def test_time_ordered_ids_stay_ordered_as_text() -> None:
    values = [new_id() for _ in range(50)]
    assert sorted(ids.encode(ids.CALL, v) for v in values) == [
        ids.encode(ids.CALL, v) for v in sorted(values)
    ]


def test_an_id_of_another_kind_or_a_malformed_one_is_not_ours() -> None:
    agent = ids.encode(ids.AGENT, new_id())
    assert ids.decode(ids.CAMPAIGN, agent) is None
    assert ids.decode(ids.AGENT, agent.upper()) is None
    assert ids.decode(ids.CAMPAIGN, "cmp_xyz789") is None
    assert ids.decode(ids.CAMPAIGN, "cmp_" + "z" * 26) is None  # more than 128 bits
    assert ids.decode(ids.CAMPAIGN, "not-an-id") is None


def test_the_engines_own_uuid_form_is_accepted_too() -> None:
    value = new_id()
    assert ids.decode(ids.CAMPAIGN, str(value)) == value
