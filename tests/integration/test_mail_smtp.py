"""Mail through a real SMTP server (aiosmtpd): each message arrives once, in the account's language,
with working links; an SMTP server that is down for a while loses nothing and duplicates nothing."""
from __future__ import annotations

import asyncio
import email
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from html import escape, unescape

import pytest
from aiosmtpd.controller import Controller

from buko.application.notifications import verification_token
from buko.bootstrap import link_secret
from buko.domain.billing.events import PaymentReceived
from tests.integration.billing_app import app_for, billing_settings, eventually, register
from tests.integration.conftest_persistence import sqlite_url  # noqa: F401


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield box
    controller.stop()


HTML = {"Accept": "text/html"}


def settings(sqlite_url, tmp_path, port, **extra):
    return billing_settings(sqlite_url, tmp_path, mail_server="127.0.0.1", mail_port=port, mail_use_tls=False,
                            mail_timeout_seconds=2, mail_retry_base_seconds=0.2, mail_retry_max_seconds=0.5, **extra)


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


async def test_verification_mail_arrives_once_in_the_accounts_language_with_a_working_link(
        sqlite_url, tmp_path, inbox, smtp_port):
    container, app = app_for(settings(sqlite_url, tmp_path, smtp_port))
    async with app.test_app() as test_app:
        author = await register(test_app.test_client(), locale="es")
        await eventually(lambda: asyncio.sleep(0, result=len(inbox.messages) >= 1))
        await container.gateways.brokers()["emails_low"].wait_all()
        (message,) = inbox.messages
        text, html = parts(message)
        assert "Confirma tu dirección" in message["Subject"] and "Hola, Ana" in text and "<a href=" in html
        link = next(word for word in text.split() if "/account/verify-email?token=" in word)
        assert link in html
        path = link.removeprefix("http://buko.test")
        # no log-in needed (the token is the key): a browser that asks for Spanish
        reply = await test_app.test_client().get(path, headers={**HTML, "Accept-Language": "es"})
        body = await reply.get_data(as_text=True)
        assert reply.status_code == 200 and reply.mimetype == "text/html"
        assert 'id="email-verified"' in body and "Dirección de correo confirmada" in body
        async with container.core.uow() as uow:
            assert (await uow.users.get(author.user_id)).email_verified
        forged = path[:-3] + "abc"
        reply = await test_app.test_client().get(forged, headers=HTML)
        forged_page = await reply.get_data(as_text=True)
        assert reply.status_code == 400 and 'id="email-not-verified"' in forged_page
        assert "expired" not in forged_page
        # a genuine link past its date: the page says it expired (not that it is broken)
        secret = link_secret(container.settings())
        async with container.core.uow() as uow:
            address = (await uow.users.get(author.user_id)).email
        stale = verification_token(secret, author.user_id, address, datetime.now(UTC) - timedelta(days=1))
        reply = await test_app.test_client().get(f"/account/verify-email?token={stale}", headers=HTML)
        assert reply.status_code == 400 and "expired" in await reply.get_data(as_text=True)


LINK = re.compile(r"https?://[^\s\"'<>]+")


def links(message) -> set[str]:
    text, html = parts(message)
    return set(LINK.findall(text)) | {unescape(u) for u in LINK.findall(html)}


async def opens_a_page(client, url: str) -> str:
    """Follow a mail's link against the app as the author's browser would; the HTML page it lands on."""
    assert (url + "/").startswith("http://buko.test/") and "/api/" not in url, url
    path, _, fragment = url.removeprefix("http://buko.test").partition("#")
    path = path or "/"
    reply = await client.get(path, headers=HTML, follow_redirects=True)
    body = await reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.mimetype == "text/html", (url, reply.status_code, body[:500])
    assert "<!doctype html>" in body.lower()
    if fragment:
        assert f'id="{fragment}"' in body, (url, "no element for the link's fragment")
    return body


async def test_every_link_in_the_mails_opens_a_web_page(sqlite_url, tmp_path, inbox, smtp_port):
    """Address check, plan ready, book ready (its downloads), receipt: real pipeline, real SMTP; each
    link (text and HTML parts) opens a page of the app, not JSON, once logged in."""
    container, app = app_for(settings(sqlite_url, tmp_path, smtp_port, offline_words_per_second=50_000))
    async with app.test_app() as test_app:
        author = await register(test_app.test_client(), locale="es")
        reply = await author.post("/api/books", {"idea": "Una guía práctica de apicultura urbana",
                                                 "target_words": 2000, "chapters": 2, "language": "es"})
        assert reply.status_code == 201, await reply.get_data(as_text=True)
        book_id = (await reply.get_json())["id"]
        await eventually(lambda: _book_status(author, book_id, "planned"), timeout=60)
        assert (await author.post(f"/api/books/{book_id}/approve")).status_code == 200
        assert (await author.post(f"/api/books/{book_id}/write", {"lanes": 1})).status_code == 202
        await eventually(lambda: _book_status(author, book_id, "written"), timeout=120)
        await container.use_cases.notifier().billing_events([PaymentReceived(
            "sub-1", author.user_id, "author", "PAY-1", 1900, "USD", datetime(2030, 1, 1, tzinfo=UTC))])
        await eventually(lambda: asyncio.sleep(0, result=len(inbox.messages) >= 4), timeout=30)
        await container.gateways.brokers()["emails_low"].wait_all()

        by_subject = {m["Subject"]: m for m in inbox.messages}
        assert len(inbox.messages) == 4 and len(by_subject) == 4
        plan_ready = next(m for s, m in by_subject.items() if s.startswith("La estructura de"))
        book_ready = next(m for s, m in by_subject.items() if s.startswith("Tu libro está listo"))
        receipt = next(m for s, m in by_subject.items() if "Recibo" in s or "recibo" in s)
        assert f"http://buko.test/books/{book_id}/architecture" in links(plan_ready)
        downloads = {f"http://buko.test/books/{book_id}/read#download-{fmt}" for fmt in ("pdf", "epub", "docx", "md")}
        assert downloads | {f"http://buko.test/books/{book_id}/read"} <= links(book_ready)
        assert "http://buko.test/billing" in links(receipt)

        stranger = test_app.test_client()  # logged out: the page asks to log in, then comes back
        reply = await stranger.get(f"/books/{book_id}/architecture", headers=HTML)
        assert reply.status_code == 303 and "/login?next=" in reply.headers["Location"]

        opened = {}
        for message in inbox.messages:
            for url in links(message):
                opened[url] = await opens_a_page(author.client, url)
        assert len(opened) >= 9
        title = escape((await (await author.get(f"/api/books/{book_id}")).get_json())["title"], quote=False)
        assert title and title in opened[f"http://buko.test/books/{book_id}/architecture"]
        assert title in opened[f"http://buko.test/books/{book_id}/read"]
        assert 'id="downloads-heading"' in opened[f"http://buko.test/books/{book_id}/read"]
        assert 'id="receipts-heading"' in opened["http://buko.test/billing"]  # the billing page


async def _book_status(author, book_id: str, wanted: str):
    reply = await author.get(f"/api/books/{book_id}")
    return (await reply.get_json())["status"] == wanted


async def test_smtp_down_then_up_every_message_arrives_once(sqlite_url, tmp_path):
    port = free_port()
    container, app = app_for(settings(sqlite_url, tmp_path, port))
    box = Inbox()
    async with app.test_app() as test_app:
        authors = [await register(test_app.test_client(), locale=lang) for lang in ("en", "es", "en")]
        notifier = container.use_cases.notifier()
        for author in authors:
            await notifier.send(f"test:{author.user_id}", author.user_id, "subscription_ending",
                                {"plan": "Pro", "access_until": None, "expired": True})
            # asked twice: still one mail
            await notifier.send(f"test:{author.user_id}", author.user_id, "subscription_ending",
                                {"plan": "Pro", "access_until": None, "expired": True})
        await container.gateways.brokers()["emails_low"].wait_all()
        assert box.messages == []
        controller = Controller(box, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            retry = container.use_cases.mail_retry()
            for _ in range(100):
                await retry()
                await container.gateways.brokers()["emails_low"].wait_all()
                if len(box.messages) >= 6:  # 3 verification mails + 3 notices
                    break
                await asyncio.sleep(0.1)
            for _ in range(5):  # more sweeps send nothing again
                await retry()
                await container.gateways.brokers()["emails_low"].wait_all()
        finally:
            controller.stop()
    subjects = sorted(m["Subject"] for m in box.messages)
    assert len(subjects) == 6 and len({m["Message-ID"] for m in box.messages}) == 6
    assert subjects.count("Your Buko Pro subscription has ended") == 2
    assert subjects.count("Tu suscripción Buko Pro ha terminado") == 1
