"""The published OpenAPI document is the contract: schemathesis sends every operation of
/openapi.json generated requests, valid and invalid, with each API's own credentials
(X-API-KEY for /c/v1, X-API-KEY and Bearer for /v1/accounts, Bearer for the voice API),
and every check it has must pass: no server error, only declared statuses, content types
and bodies, invalid requests refused, valid ones accepted, 405 with `Allow`.

One relaxation, stated here: JSON Schema cannot say that a phone number is a real one,
that an agent id names an agent of this workspace, or that a CSV has a phone column. A
request body that has the declared shape may still break such a rule and be refused with
the dialect's declared 422 (400 in the outreach API) naming the field. A refusal that
names a path or query parameter, or any refusal of an operation without a body, is a
failure: those parameters are fully described in the document.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import _reset_postgres
from herald.app import create_app
from outreach_kit import add_group
from support import RunningHerald, Tenant, start_herald

NO_LIMITS = {
    "batch_rate_limit": "100000/minute",
    "read_rate_limit": "100000/minute",
    "write_rate_limit": "100000/minute",
    "unauthenticated_rate_limit": "100000/minute",
}
EXAMPLES = 3  # per operation and credential: enough to find a class of fault, under ~90 s


class Probe:
    def __init__(self, herald: RunningHerald) -> None:
        self.herald = herald
        self.tenant: Tenant = herald.tenant(balance="1000")
        self.group_id = add_group(herald, self.tenant, "Sales")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def probe(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Probe]:
    """One Herald per database for the whole module: schemathesis calls it thousands of times."""
    data = tmp_path_factory.mktemp("conformance")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, data / "herald.sqlite")
        url = f"sqlite:///{data / 'herald.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url)
    herald = start_herald(url, data / "data", False, None, NO_LIMITS)
    FORWARD.target = herald.client.app
    probe = Probe(herald)
    Credentials.key = probe.tenant.api_key
    yield probe
    herald.close()


class Forward:
    """The ASGI app schemathesis calls: the Herald of the current database's probe."""

    def __init__(self) -> None:
        self.target: Any = create_app()  # until a probe starts: it serves the document

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


FORWARD = Forward()
schema = schemathesis.openapi.from_asgi("/openapi.json", FORWARD)


class Credentials:
    """The key schemathesis authenticates with, and the scheme of the current pass: each
    API's own (X-API-KEY for /c/v1 and /v1/accounts, Bearer for voice), or Bearer for the
    outreach API, which takes both."""

    key = ""
    bearer_first = False


@schema.auth()
class HeraldAuth:
    def get(self, case: Any, context: Any) -> str:
        return Credentials.key

    def set(self, case: Any, data: str, context: Any) -> None:
        schemes = {
            name for need in case.operation.definition.raw.get("security", []) for name in need
        }
        headers = case.headers if case.headers is not None else {}
        for header in ("X-API-KEY", "Authorization"):  # drop generated credentials
            headers.pop(header, None)
        bearer = "HTTPBearer" in schemes and (
            Credentials.bearer_first or "APIKeyHeader" not in schemes
        )
        if bearer:
            headers["Authorization"] = f"Bearer {data}"
        elif "APIKeyHeader" in schemes:
            headers["X-API-KEY"] = data
        case.headers = headers


def _refused_names(body: Any) -> set[str]:
    """The fields a validation refusal names, in each dialect's envelope."""
    if not isinstance(body, dict):
        return set()
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    fields = error.get("fields")
    if isinstance(fields, dict):
        return {name.split(".")[0] for name in fields}
    details = error.get("details")
    if isinstance(details, str):
        return {part.split(":")[0].strip().split(".")[0] for part in details.split(";")}
    return set()


def parameters_accepted(ctx: Any, response: Any, case: Any) -> None:
    """Positive data acceptance, with the relaxation for body rules in the module doc."""
    meta = case.meta
    if (
        meta is None
        or not meta.generation.mode.is_positive
        or response.status_code not in (400, 422)
    ):
        return
    has_body = bool(case.operation.definition.raw.get("requestBody"))
    named = _refused_names(response.json() if response.content else None)
    # A date parameter's range (2000–2099, in its description) has no JSON Schema form.
    raw = case.operation.definition.raw.get("parameters", [])
    dates = {p["name"] for p in raw if "date-time" in str(p.get("schema"))}
    parameters = {p.name for p in case.operation.iter_parameters()} - dates
    refused_only_dates = bool(named) and named <= dates
    assert refused_only_dates or (has_body and not named & parameters), (
        f"a valid request was refused with {response.status_code}: {response.text}"
    )


load_all_checks()
CHECKS_ALL = [check for check in CHECKS.get_all() if check is not positive_data_acceptance]


CONFORMANCE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def phases(probe: Probe) -> Iterator[None]:
    """Every phase on SQLite; on PostgreSQL the generated requests without the coverage
    phase's boundary cases (the same on both), to keep the module near 90 s."""
    on_sqlite = probe.herald.container.db.engine.dialect.name == "sqlite"
    schema.config.phases.coverage.enabled = on_sqlite
    yield
    schema.config.phases.coverage.enabled = True


@schema.parametrize()
@CONFORMANCE
def test_every_operation_answers_as_the_document_says(
    case: Any, probe: Probe, phases: None
) -> None:
    check(case, probe)


@pytest.fixture
def bearer_first(probe: Probe) -> Iterator[None]:
    """The outreach API with Bearer: the same generated requests, without the coverage
    phase's boundary cases, which the first pass sent already; on SQLite only, to keep
    the module's run time near 90 s (the authentication does not touch the database's
    dialect)."""
    if probe.herald.container.db.engine.dialect.name != "sqlite":
        pytest.skip("Bearer on the outreach API is probed on SQLite")
    Credentials.bearer_first = True
    schema.config.phases.coverage.enabled = False
    yield
    schema.config.phases.coverage.enabled = True
    Credentials.bearer_first = False


@schema.include(path_regex="^/v1/accounts").parametrize()
@CONFORMANCE
def test_the_outreach_api_answers_the_same_with_a_bearer_token(
    case: Any, probe: Probe, bearer_first: None
) -> None:
    check(case, probe)


def check(case: Any, probe: Probe) -> None:
    if "{accountGroupId}" in case.path and _is_v7(case.path_parameters.get("accountGroupId")):
        case.path_parameters["accountGroupId"] = probe.group_id  # reach past the group check
    case.call_and_validate(checks=CHECKS_ALL, additional_checks=[parameters_accepted])


_V7 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)


def _is_v7(value: object) -> bool:
    return isinstance(value, str) and bool(_V7.match(value))
