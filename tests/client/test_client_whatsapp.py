"""The Python client sends WhatsApp templates (a typed `Template`) on Send Message and on
the batch, against a live Herald over HTTP with the test Cloud API behind it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client_kit import served
from herald.client import Herald, ValidationError, models
from whatsapp_kit import WhatsAppDesk, close_desk, number, open_desk


@pytest.fixture
def wa(db_url: str, tmp_path: Path) -> Iterator[WhatsAppDesk]:
    opened = open_desk(db_url, tmp_path / "data")
    yield opened
    close_desk(opened)


def test_the_client_sends_a_template_to_someone_who_never_wrote(wa: WhatsAppDesk) -> None:
    offer = models.Template(name="black_friday", language="en_US", parameters=["Ana", "50%"])
    with served(wa.herald) as url, Herald(url, api_key=wa.tenant.api_key) as herald:
        message = herald.messaging.send_message(
            recipient=number(200),
            content="Black Friday",
            remitter_id=wa.tenant.remitter_id,
            channel_type="WHATSAPP",
            template=offer,
        )
        assert (message.status, message.content) == ("PENDING", "Hi Ana, 50% off today only.")
        assert str(message.cost) == "0.080000"  # the template's category: MARKETING
        accepted = herald.messaging.send_batch(
            name="Shipped",
            remitter_id=wa.tenant.remitter_id,
            content="Shipped",
            recipients=[number(201), number(202)],
            channel_type="WHATSAPP",
            template=models.Template(
                name="order_shipped",
                language="en_US",
                parameters=["A-17"],
                header_parameters=["Your order"],
            ),
        )
        wa.run()
        batch = list(herald.messaging.iter_messages(campaign_id=accepted.campaign_id))
        assert sorted(m.content for m in batch) == ["Order A-17 shipped."] * 2
        with pytest.raises(ValidationError) as refused:
            herald.messaging.send_message(
                recipient=number(203),
                content="Soon",
                remitter_id=wa.tenant.remitter_id,
                channel_type="WHATSAPP",
                template=models.Template(name="draft_offer", language="en_US"),
            )
        assert "template.name" in refused.value.fields
    sent = {s.to: s.body for s in wa.cloud.sent}
    assert sent[number(200).lstrip("+")]["template"]["name"] == "black_friday"
    shipped = sent[number(201).lstrip("+")]["template"]["components"]
    assert [c["type"] for c in shipped] == ["header", "body"]
