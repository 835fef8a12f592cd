"""The Python client against a live Herald over HTTP: every operation of the three API
families, once with `Herald` and once with `AsyncHerald`, and each scenario checks that it
reached every operation the server's /openapi.json lists (a new route fails it until the
client covers it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from client_kit import Recorder, account_group, operations_of, served
from herald.client import AsyncHerald, Conflict, Herald, models
from support import HeraldFactory, RunningHerald, Tenant

FAST = {
    "voice_sim_time_scale": 0.002,
    "read_rate_limit": "100000/minute",
    "write_rate_limit": "100000/minute",
    "batch_rate_limit": "1000/minute",
    "webhook_allow_networks": "127.0.0.0/8",
}


class Runner:
    """Lets one scenario drive either client: `do` awaits what must be awaited, `collect`
    drains an iterator or an async iterator."""

    def __init__(self, herald: Herald | AsyncHerald) -> None:
        self.h: Any = herald

    async def do(self, result: Any) -> Any:
        return await result if isinstance(result, Awaitable) else result

    async def collect(self, found: Iterator[Any] | AsyncIterator[Any]) -> list[Any]:
        if isinstance(found, AsyncIterator):
            return [item async for item in found]
        return list(found)


async def messaging_scenario(run: Runner, tenant: Tenant, operator: Runner) -> None:
    h, do, collect = run.h.messaging, run.do, run.collect
    hook = await do(
        h.create_webhook(url="http://127.0.0.1:9/hooks", event_types=["campaign.status_changed"])
    )
    assert hook.secret.startswith("whsec_")
    recipients = ["+244990000001", "+244990000002", "+244990000999"]
    accepted = await do(
        h.send_batch(
            name="Launch", remitter_id=tenant.remitter_id, content="Hello", recipients=recipients
        )
    )
    assert isinstance(accepted, models.BatchAccepted)

    async def finished() -> Any:
        campaign = await do(h.get_campaign(accepted.campaign_id))
        tally = campaign.data.get("messages", {})
        receipts = tally.get("DELIVERED", 0) + tally.get("UNDELIVERED", 0)
        return campaign if campaign.status == "COMPLETED" and receipts == 3 else None

    campaign = await _eventually(finished)
    assert campaign.data["messages"]["DELIVERED"] == 2
    assert campaign.data["messages"]["UNDELIVERED"] == 1
    assert (await do(h.list_dropped_recipients(campaign.id))).items == []
    assert await collect(h.iter_dropped_recipients(campaign.id)) == []

    page = await do(h.list_campaigns(limit=1))
    assert [c.id for c in page.items] == [accepted.campaign_id]
    assert [c.id for c in await collect(h.iter_campaigns(status="COMPLETED"))] == [campaign.id]

    one_by_one = await collect(h.iter_messages(campaign_id=campaign.id, page_size=1))
    assert sorted(m.e164_format for m in one_by_one) == sorted(recipients)
    first = await do(h.list_messages(campaign_id=campaign.id, limit=2))
    assert len(first.items) == 2 and first.next_cursor is not None
    undelivered = await do(h.list_messages(status="UNDELIVERED"))
    assert [m.e164_format for m in undelivered.items] == ["+244990000999"]
    message = await do(h.get_message(first.items[0].id))
    assert message.cost > 0 and message.campaign_id == campaign.id
    [part] = await do(h.list_message_parts(message.id))  # the simulator sends one part
    assert (part.part_number, part.parts_total) == (1, 1)

    single = await do(
        h.send_message(recipient="+244990000010", content="Hi", remitter_id=tenant.remitter_id)
    )
    assert isinstance(single, models.Message) and single.e164_format == "+244990000010"

    later = datetime.now(UTC) + timedelta(days=1)
    scheduled = await do(
        h.send_batch(
            name="Later", remitter_id=tenant.remitter_id, content="Soon",
            recipients=recipients[:2], scheduled_at=later,
        )
    )  # fmt: skip
    assert (await do(h.pause_campaign(scheduled.campaign_id, "hold on"))).status == "PAUSED"
    assert (await do(h.resume_campaign(scheduled.campaign_id))).status == "SCHEDULED"
    assert (await do(h.cancel_campaign(scheduled.campaign_id))).status == "CANCELLED"

    assert (await do(h.list_inbound_messages(from_number="+244990000001"))).items == []
    assert await collect(h.iter_inbound_messages()) == []
    assert await do(h.list_whatsapp_templates()) == []

    assert [w.id for w in await do(h.list_webhooks())] == [hook.id]
    assert (await do(h.get_webhook(hook.id))).url == hook.url
    assert (await do(h.enable_webhook(hook.id))).status == "ENABLED"

    async def delivered_once() -> Any:
        return (await do(h.list_webhook_deliveries(hook.id, limit=1))).items

    delivery = (await _eventually(delivered_once))[0]
    assert delivery.event_type == "campaign.status_changed"
    assert len(await collect(h.iter_webhook_deliveries(hook.id, page_size=1))) >= 1
    replayed = await do(h.replay_webhook_delivery(hook.id, delivery.id))
    assert replayed.webhook_id == delivery.webhook_id
    assert await do(h.delete_webhook(hook.id)) is None

    assert [c.name for c in await do(operator.h.messaging.list_connections())] == []
    assert await do(operator.h.messaging.list_routes()) == []
    assert await do(operator.h.messaging.list_trunks()) == []


async def outreach_scenario(run: Runner, tenant: Tenant, group_id: str) -> None:
    do, collect = run.do, run.collect
    groups = await do(run.h.outreach.list_account_groups())
    assert [g.id for g in groups] == [group_id]
    g = run.h.outreach.group(group_id)
    imported = await do(
        g.import_leads(
            [{"phone": "990000101", "firstName": "Ana"}, {"phone": "990000102"}],
            default_country="AO",
        )
    )
    assert imported.created == 2 and not imported.rejected
    from_csv = await do(g.import_leads_csv("phone,firstName\n+244990000103,Rui\n"))
    assert from_csv.created == 1
    leads = await collect(g.iter_leads(page_size=2))
    assert len(leads) == 3
    assert len((await do(g.list_leads(limit=2))).items) == 2
    ana = await do(g.get_lead(imported.lead_ids[0]))
    assert ana.first_name == "Ana" and ana.phone == "+244990000101"

    campaign = await do(g.create_campaign(name="Fair", sender_id=tenant.remitter_id))
    assert campaign.status == "draft"
    steps = [
        {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}"}},
        {"type": "wait", "duration": "P1D"},
        {"type": "send", "templates": {"en": "Still there?"}},
    ]
    assert (await do(g.replace_workflow(campaign.id, steps))).steps[0]["type"] == "send"
    assert (await do(g.get_workflow(campaign.id))).steps[0]["templates"] == steps[0]["templates"]
    selection = await do(g.select_leads(campaign.id, imported.lead_ids))
    assert selection.added == 2 and selection.selected_lead_count == 2
    assert (await do(g.start_campaign(campaign.id))).status == "active"
    assert (await do(g.pause_campaign(campaign.id))).status == "paused"
    assert (await do(g.resume_campaign(campaign.id))).status == "active"
    states = await collect(g.iter_campaign_leads(campaign.id, page_size=1))
    assert {lead.lead_id for lead in states} == set(imported.lead_ids)
    assert len((await do(g.list_campaign_leads(campaign.id, limit=1))).items) == 1

    async def conversation() -> Any:
        return await do(g.get_conversation(ana.id))

    said = await _eventually(conversation)
    assert said[0].direction == "outbound" and said[0].content == "Hi Ana"
    assert (await do(g.cancel_campaign(campaign.id))).status == "cancelled"
    assert [c.id for c in (await do(g.list_campaigns())).items] == [campaign.id]
    assert [c.id for c in await collect(g.iter_campaigns(status="cancelled"))] == [campaign.id]
    assert (await do(g.get_campaign(campaign.id))).selected_lead_count == 2


async def voice_scenario(run: Runner) -> None:
    h, do, collect = run.h.voice, run.do, run.collect
    number = await do(h.add_phone_number("+351211234567", label="Lisbon"))
    assert number.id.startswith("pn_")
    with pytest.raises(Conflict) as twice:
        await do(h.add_phone_number("+351211234567"))
    assert twice.value.trace_id
    assert [n.phone_number for n in await do(h.list_phone_numbers())] == ["+351211234567"]
    agent = await do(h.create_agent(name="Renewals", greeting="Hello.", message="Renew?"))
    assert (await do(h.get_agent(agent.id))).name == "Renewals"
    assert [a.id for a in await collect(h.iter_agents(page_size=1))] == [agent.id]
    assert len((await do(h.list_agents(limit=1))).items) == 1

    campaign = await do(
        h.create_campaign(
            name="Q2", agent_id=agent.id, from_phone_number="+351211234567", status="draft",
            leads=[{"phone_number": "+351910000900", "name": "Asha"}],
        )
    )  # fmt: skip
    assert campaign.status == "draft" and campaign.total_leads == 1
    added = await do(h.add_leads(campaign.id, [{"phone_number": "+351910010900"}]))
    assert added.added == 1 and added.total_leads == 2
    from_csv = await do(h.add_leads_csv(campaign.id, "phone_number,name\n+351910020900,Bo\n"))
    assert from_csv.total_leads == 3
    assert (
        await do(h.update_campaign(campaign.id, max_concurrent_calls=2))
    ).max_concurrent_calls == 2
    assert (await do(h.resume_campaign(campaign.id))).status in ("active", "running")

    async def completed() -> Any:
        found = await do(h.get_campaign(campaign.id))
        return found if found.status == "completed" else None

    done = await _eventually(completed)
    assert done.answered_leads == 3
    calls = await collect(h.iter_calls(campaign.id, page_size=1))
    assert {c.status for c in calls} == {"completed"} and len(calls) == 3
    assert len((await do(h.list_calls(campaign.id, status="completed", limit=2))).items) == 2
    assert [c.id for c in (await do(h.list_campaigns())).items] == [campaign.id]
    assert [c.id for c in await collect(h.iter_campaigns(status="completed"))] == [campaign.id]

    paused = await do(
        h.create_campaign(
            name="Later", agent_id=agent.id, from_phone_number="+351211234567",
            schedule={"start_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
            leads=[{"phone_number": "+351910030900"}],
        )
    )  # fmt: skip
    assert (await do(h.pause_campaign(paused.id))).status == "paused"
    assert (await do(h.cancel_campaign(paused.id))).status == "cancelled"


async def _eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := await probe()):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return found


def _setup(herald: RunningHerald) -> tuple[Tenant, str, str, set[tuple[str, str]]]:
    tenant = herald.tenant()
    operator_key = herald.key(tenant, ("operator:carriers:read",))
    group_id = account_group(herald, tenant)
    wanted = operations_of(herald.client.get("/openapi.json").json())
    return tenant, operator_key, group_id, wanted


async def _all_families(clients: list[Any], tenant: Tenant, group_id: str) -> None:
    main, operator = Runner(clients[0]), Runner(clients[1])
    await messaging_scenario(main, tenant, operator)
    await outreach_scenario(main, tenant, group_id)
    await voice_scenario(main)


def test_the_sync_client_reaches_every_operation_of_the_three_families(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(**FAST)
    tenant, operator_key, group_id, wanted = _setup(herald)
    recorder = Recorder(wanted)
    with served(herald) as url:
        http = [httpx.Client(base_url=url, event_hooks={"request": [recorder]}) for _ in "ab"]
        clients = [
            Herald(url, tenant.api_key, http=http[0]),
            Herald(url, operator_key, http=http[1]),
        ]
        asyncio.run(_all_families(clients, tenant, group_id))
        for client in clients:
            client.close()
    assert wanted - recorder.seen == set()


def test_the_async_client_reaches_every_operation_of_the_three_families(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(**FAST)
    tenant, operator_key, group_id, wanted = _setup(herald)
    recorder = Recorder(wanted)

    async def scenario(url: str) -> None:
        hooks = {"request": [recorder.hook]}
        async with (
            AsyncHerald(
                url, tenant.api_key, http=httpx.AsyncClient(base_url=url, event_hooks=hooks)
            ) as main,
            AsyncHerald(
                url, operator_key, http=httpx.AsyncClient(base_url=url, event_hooks=hooks)
            ) as operator,
        ):
            await _all_families([main, operator], tenant, group_id)

    with served(herald) as url:
        asyncio.run(scenario(url))
    assert wanted - recorder.seen == set()
