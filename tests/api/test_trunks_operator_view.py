"""An operator sees the SIP trunks (never their passwords) in the API and the dashboard,
next to the SMPP connections; a tenant's key does not."""

from __future__ import annotations

from herald.tenancy import service as tenancy
from herald.voice import trunks
from support import HeraldFactory


def test_an_operator_key_sees_the_trunks_without_their_passwords(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    with herald.container.db.transaction() as session:
        spec = trunks.TrunkSpec(
            "carrier-1", "sip.example", username="herald", password="s3cret", cps=7
        )
        trunks.add_trunk(session, herald.container.clock, spec)
    tenant = herald.tenant()
    operator = {"X-API-KEY": herald.key(tenant, (tenancy.OPERATOR_CARRIERS_READ,))}

    assert herald.client.get("/c/v1/trunks", headers=tenant.headers).status_code == 403
    [trunk] = herald.client.get("/c/v1/trunks", headers=operator).json()["data"]
    assert (trunk["name"], trunk["transport"], trunk["cps"]) == ("carrier-1", "udp", 7)
    assert "password" not in trunk

    herald.sign_in(operator["X-API-KEY"])
    page = herald.client.get("/dashboard/carriers")
    assert page.status_code == 200
    assert "carrier-1" in page.text and "sip.example:5060" in page.text
    assert "s3cret" not in page.text
