"""Mailers: SMTP for production, an outbox in memory and in the log for the embedded default."""
from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from buko.application.ports import Mailer

log = logging.getLogger(__name__)


class OutboxMailer(Mailer):
    """Keeps sent mail in `outbox` and logs it; nothing leaves the machine."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    async def send(self, to: str, subject: str, body: str, html: str = "", headers: dict | None = None) -> None:
        self.outbox.append(_message("buko@localhost", to, subject, body, html, headers))
        log.info("mail to %s: %s\n%s", to, subject, body)


class SmtpMailer(Mailer):
    def __init__(self, host: str, port: int, username: str, password: str, sender: str, use_tls: bool,
                 timeout: float = 30.0):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.sender, self.use_tls, self.timeout = sender, use_tls, timeout

    async def send(self, to: str, subject: str, body: str, html: str = "", headers: dict | None = None) -> None:
        await aiosmtplib.send(
            _message(self.sender, to, subject, body, html, headers),
            hostname=self.host,
            port=self.port,
            username=self.username or None,
            password=self.password or None,
            start_tls=self.use_tls,
            timeout=self.timeout,
        )


def _message(sender: str, to: str, subject: str, body: str, html: str = "",
             headers: dict | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message
