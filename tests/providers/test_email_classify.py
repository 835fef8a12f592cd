"""What an email arriving in a mailbox is: a reply, an automatic reply, or a bounce."""

from __future__ import annotations

from email.message import EmailMessage

from herald.providers.email.classify import AutoReply, Bounce, Reply, classify
from outreach.email_kit import delivery_failure

OURS = "<01a2-3b@herald.test>"


def _mail(body: str = "Sounds good.\n\n> quoted", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana <Ana@Example.com>"
    message["To"] = "sales@herald.test"
    message["Subject"] = "Re: hello"
    message["In-Reply-To"] = OURS
    for name, value in headers.items():
        del message[name.replace("_", "-")]
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_a_reply_names_our_message_and_keeps_only_the_new_text() -> None:
    found = classify(_mail(References="<older@herald.test>"))
    assert isinstance(found, Reply)
    assert found.references == ("<older@herald.test>", OURS)
    assert found.from_address == "ana@example.com"
    assert found.text == "Sounds good."


def test_automatic_replies_are_not_replies() -> None:
    for headers in (
        {"Auto_Submitted": "auto-replied"},
        {"Subject": "Out of Office: hello"},
        {"Subject": "Automatic reply: hello"},
        {"X_Autoreply": "yes"},
        {"Precedence": "auto_reply"},
    ):
        assert isinstance(classify(_mail(**headers)), AutoReply), headers
    assert isinstance(classify(_mail(Auto_Submitted="no")), Reply)


def test_a_failed_delivery_notification_names_the_email_the_address_and_the_status() -> None:
    original = _mail(Message_ID=OURS)
    found = classify(delivery_failure(original, "ana@example.com", "5.1.1", "550 No such user"))
    assert found == Bounce(OURS, "ana@example.com", "5.1.1", "smtp; 550 No such user")


def test_a_delay_notification_changes_nothing() -> None:
    dsn = delivery_failure(_mail(Message_ID=OURS), "ana@example.com", "4.4.7", "queued")
    assert classify(dsn.replace(b"Action: failed", b"Action: delayed")) is None


def test_an_email_that_answers_nothing_of_ours_is_ignored() -> None:
    message = EmailMessage()
    message["From"] = "someone@example.com"
    message["Subject"] = "Hello"
    message.set_content("A new conversation.")
    assert classify(message.as_bytes()) is None
