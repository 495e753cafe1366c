"""Mail through a real SMTP server (aiosmtpd): each message arrives once, in the account's language,
with working links; an SMTP server that is down for a while loses nothing and duplicates nothing."""
from __future__ import annotations

import asyncio
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

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


def settings(sqlite_url, tmp_path, port):
    return billing_settings(sqlite_url, tmp_path, mail_server="127.0.0.1", mail_port=port, mail_use_tls=False,
                            mail_timeout_seconds=2, mail_retry_base_seconds=0.2, mail_retry_max_seconds=0.5)


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
        link = next(word for word in text.split() if "/api/auth/verify-email?token=" in word)
        path = link.removeprefix("http://buko.test")
        assert (await test_app.test_client().get(path)).status_code == 200
        me = test_app.test_client()
        async with container.core.uow() as uow:
            assert (await uow.users.get(author.user_id)).email_verified
        forged = path[:-3] + "abc"
        assert (await me.get(forged)).status_code == 400


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
