"""Rate limits count the API key a request authenticates as (its id), never the text of
its headers, and requests without a valid key per client address; the batch limit counts
batches accepted (seed 003), so refused requests never lock their author out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from herald.billing import service as billing
from herald.kit.ids import new_id
from herald.kit.money import to_micros
from support import HeraldFactory

NUMBERS = ["+244990000001", "+244990000002"]
Headers = Callable[[str, int], dict[str, str]]

# Spellings of one valid key that used to buy a fresh counter on every request.
JUNK_BESIDE_BEARER: Headers = lambda key, i: {  # noqa: E731
    "X-API-KEY": f"junk-{i}",
    "Authorization": f"Bearer {key}",
}
SPACES_AFTER_BEARER: Headers = lambda key, i: {"Authorization": "Bearer" + " " * (i + 1) + key}  # noqa: E731
LOWER_CASE_BEARER: Headers = lambda key, i: {"authorization": f"{'bB'[i % 2]}earer {key}"}  # noqa: E731
KEY_BESIDE_JUNK_BEARER: Headers = lambda key, i: {  # noqa: E731
    "X-API-KEY": key,
    "Authorization": f"Bearer junk-{i}",
}

BYPASS_FORMS = [
    ("/c/v1/campaigns", KEY_BESIDE_JUNK_BEARER),
    ("/v1/accounts/{group}/campaigns", JUNK_BESIDE_BEARER),
    ("/v1/accounts/{group}/campaigns", SPACES_AFTER_BEARER),
    ("/v1/accounts/{group}/campaigns", LOWER_CASE_BEARER),
    ("/v1/accounts/{group}/campaigns", KEY_BESIDE_JUNK_BEARER),
    ("/v1/campaigns", JUNK_BESIDE_BEARER),
    ("/v1/campaigns", SPACES_AFTER_BEARER),
    ("/v1/campaigns", LOWER_CASE_BEARER),
]


@pytest.mark.parametrize(("path", "headers"), BYPASS_FORMS)
def test_no_spelling_of_the_credential_headers_escapes_the_limit(
    make_herald: HeraldFactory, path: str, headers: Headers
) -> None:
    herald = make_herald(
        workers=False, read_rate_limit="3/minute", unauthenticated_rate_limit="3/minute"
    )
    tenant = herald.tenant()
    url = path.format(group=new_id())
    answers = [herald.client.get(url, headers=headers(tenant.api_key, i)) for i in range(6)]
    statuses = [a.status_code for a in answers]
    assert 429 not in statuses[:3] and statuses[3:] == [429, 429, 429], statuses


def test_requests_without_a_valid_key_are_limited_per_client_address(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False, unauthenticated_rate_limit="2/minute")
    tenant = herald.tenant()
    answers = [
        herald.client.get("/c/v1/campaigns", headers={"X-API-KEY": f"hk_live_guess{i}"})
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[0].headers["RateLimit-Policy"] == '"unauthenticated";q=2;w=60'
    assert "client address" in answers[2].json()["message"]
    assert int(answers[2].headers["Retry-After"]) >= 1
    # A valid key is counted apart from the guesses made from the same address.
    assert herald.client.get("/c/v1/campaigns", headers=tenant.headers).status_code == 200


def test_refused_batches_do_not_count_against_the_batch_limit(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False, batch_rate_limit="2/minute")
    tenant = herald.tenant()
    for _ in range(4):
        refused = herald.batch(tenant, NUMBERS, channel_type="PIGEON")
        assert refused.status_code == 422
        assert refused.headers["RateLimit"].startswith('"batch";r=2;')
    accepted = [herald.batch(tenant, NUMBERS) for _ in range(2)]
    assert [a.status_code for a in accepted] == [202, 202]
    assert accepted[-1].headers["RateLimit"].startswith('"batch";r=0;')
    assert herald.batch(tenant, NUMBERS).status_code == 429


def test_batches_refused_for_money_or_scope_are_not_counted(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False, batch_rate_limit="1/minute")
    broke = herald.tenant(balance="0")
    assert [herald.batch(broke, NUMBERS).status_code for _ in range(3)] == [402] * 3
    with herald.container.db.transaction() as session:
        account = uuid.UUID(broke.billing_account_id)
        billing.top_up(session, herald.container.clock, account, to_micros("10"), "test")
    assert herald.batch(broke, NUMBERS).status_code == 202
    reader = herald.tenant(name="Reader")
    reader.api_key = herald.key(reader, ("apikey:campaign:read",))
    assert [herald.batch(reader, NUMBERS).status_code for _ in range(3)] == [403] * 3


def test_refused_batches_still_count_as_writes(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False, write_rate_limit="3/minute")
    tenant = herald.tenant()
    answers = [herald.batch(tenant, NUMBERS, channel_type="PIGEON") for _ in range(4)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]
    assert answers[-1].headers["RateLimit-Policy"] == '"write";q=3;w=60'


def test_concurrent_batches_never_take_more_places_than_are_left(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False, batch_rate_limit="3/minute")
    tenant = herald.tenant()
    assert [herald.batch(tenant, NUMBERS).status_code for _ in range(2)] == [202, 202]
    with ThreadPoolExecutor(10) as pool:
        burst = list(pool.map(lambda _: herald.batch(tenant, NUMBERS).status_code, range(10)))
    assert sorted(burst) == [202] + [429] * 9
