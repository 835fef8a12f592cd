"""Leads of an account group through /v1/accounts: JSON and CSV imports, reading them."""

from __future__ import annotations

from outreach_kit import add_group, open_desk
from support import RunningHerald

CSV = (
    "Phone,First Name,Last Name,Company,Language,Time Zone,City\n"
    "+244 990 000 001,Ana,Silva,Kianda,pt-BR,Africa/Luanda,Luanda\n"
    "990000002,Bruno,,,,,Benguela\n"
    "not a number,Carla,,,,,\n"
)


def test_json_import_normalises_numbers_and_reports_bad_rows(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    result = desk.data(
        "POST",
        "/leads",
        json={
            "defaultCountry": "AO",
            "leads": [
                {"phone": "+244990000001", "firstName": "Ana", "language": "PT-br"},
                {"phone": "990 000 002", "firstName": "Bruno", "fields": {"tier": 2}},
                {"phone": "12", "firstName": "Nobody"},
                {"phone": "+244990000003", "timeZone": "Mars/Olympus"},
                {"phone": "+244990000004", "language": "english!"},
            ],
        },
    )
    assert result["created"] == 2 and result["updated"] == 0
    assert [r["index"] for r in result["rejected"]] == [2, 3, 4]
    assert "time zone" in result["rejected"][1]["reason"]
    ana = desk.data("GET", f"/leads/{result['leadIds'][0]}")
    assert ana["phone"] == "+244990000001"
    assert ana["language"] == "pt-br"
    assert ana["timeZone"] == "Africa/Luanda"  # from the number when not given
    bruno = desk.data("GET", f"/leads/{result['leadIds'][1]}")
    assert bruno["phone"] == "+244990000002"
    assert bruno["fields"] == {"tier": 2}


def test_importing_a_known_number_updates_its_lead(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    [first] = desk.import_leads({"phone": "+244990000001", "firstName": "Ana", "company": "K"})
    again = desk.data(
        "POST",
        "/leads",
        json={"leads": [{"phone": "+244 990 000 001", "lastName": "Silva", "fields": {"a": 1}}]},
    )
    assert again["created"] == 0 and again["updated"] == 1
    assert again["leadIds"] == [first]
    lead = desk.data("GET", f"/leads/{first}")
    assert (lead["firstName"], lead["lastName"], lead["company"]) == ("Ana", "Silva", "K")
    assert lead["fields"] == {"a": 1}


def test_csv_import_maps_known_columns_and_keeps_the_rest_as_fields(
    herald: RunningHerald,
) -> None:
    desk = open_desk(herald)
    response = desk.call(
        "POST",
        "/leads/import?defaultCountry=AO",
        content=CSV.encode(),
        headers={**desk.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    result = response.json()["data"]
    assert result["created"] == 2
    assert result["rejected"] == [
        {"index": 4, "phone": "not a number", "reason": result["rejected"][0]["reason"]}
    ]
    leads = desk.data("GET", "/leads")["items"]
    by_phone = {lead["phone"]: lead for lead in leads}
    ana = by_phone["+244990000001"]
    assert (ana["firstName"], ana["lastName"], ana["company"]) == ("Ana", "Silva", "Kianda")
    assert ana["language"] == "pt-br"
    assert ana["fields"] == {"City": "Luanda"}
    assert by_phone["+244990000002"]["fields"] == {"City": "Benguela"}


def test_a_csv_without_a_phone_column_is_refused(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    response = desk.call("POST", "/leads/import", content=b"name\nAna\n")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]


def test_leads_belong_to_their_account_group(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    [lead] = desk.import_leads({"phone": "+244990000001"})
    other = add_group(herald, desk.tenant, "Support")
    url = f"/v1/accounts/{other}/leads/{lead}"
    assert herald.client.get(url, headers=desk.headers).status_code == 404
    listed = herald.client.get(f"/v1/accounts/{other}/leads", headers=desk.headers)
    assert listed.json()["data"]["items"] == []
    # The same number may be a lead of both groups.
    response = herald.client.post(
        f"/v1/accounts/{other}/leads",
        json={"leads": [{"phone": "+244990000001"}]},
        headers=desk.headers,
    )
    assert response.json()["data"]["created"] == 1


def test_leads_page_with_a_cursor(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    desk.import_leads(*({"phone": f"+24499000000{i}"} for i in range(1, 6)))
    first = desk.data("GET", "/leads?limit=2")
    second = desk.data("GET", f"/leads?limit=2&cursor={first['nextCursor']}")
    third = desk.data("GET", f"/leads?limit=2&cursor={second['nextCursor']}")
    phones = [lead["phone"] for page in (first, second, third) for lead in page["items"]]
    assert sorted(phones) == [f"+24499000000{i}" for i in range(1, 6)]
    assert third["nextCursor"] is None


def test_selecting_leads_of_another_group_is_refused(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    other = add_group(herald, desk.tenant, "Support")
    response = herald.client.post(
        f"/v1/accounts/{other}/leads",
        json={"leads": [{"phone": "+244990000009"}]},
        headers=desk.headers,
    )
    stranger = response.json()["data"]["leadIds"]
    campaign_id = desk.campaign()
    refused = desk.call("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": stranger})
    assert refused.status_code == 400
    assert "leadIds" in refused.json()["error"]["details"]
    mine = desk.import_leads({"phone": "+244990000001"})
    picked = desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": mine * 2})
    assert picked == {"added": 1, "alreadySelected": 0, "selectedLeadCount": 1}
    again = desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": mine})
    assert again == {"added": 0, "alreadySelected": 1, "selectedLeadCount": 1}
