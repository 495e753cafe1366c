"""Send queued mail."""
from __future__ import annotations

from buko.application.commands import SendEmail
from buko.application.ports import Mailer


class SendEmailHandler:
    """Runs on the `emails_low` queue."""

    def __init__(self, mailer: Mailer):
        self.mailer = mailer

    async def __call__(self, cmd: SendEmail) -> None:
        await self.mailer.send(cmd.to, cmd.subject, cmd.body)
