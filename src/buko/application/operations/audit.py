"""The audit log of admin actions: who did what, when, and the target before and after."""
from __future__ import annotations

import csv
import io
import json
import uuid

from buko.application.operations.ports import AuditEntry, AuditTrail
from buko.application.ports import Clock

EXPORT_PAGE = 500


class AuditLog:
    def __init__(self, trail: AuditTrail, clock: Clock):
        self.trail, self.clock = trail, clock

    async def record(self, actor_id: str, actor_email: str, action: str, target_type: str, target_id: str,
                     before: dict, after: dict, outcome: int, details: dict | None = None) -> AuditEntry:
        entry = AuditEntry(uuid.uuid4().hex, self.clock.now(), actor_id, actor_email, action, target_type,
                           target_id, before, after, outcome, details or {})
        await self.trail.add(entry)
        return entry

    async def page(self, offset: int = 0, limit: int = 50, action: str = "") -> tuple[list[AuditEntry], int]:
        return await self.trail.page(offset, limit, action)

    async def csv(self, action: str = "") -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("at", "actor_id", "actor_email", "action", "target_type", "target_id", "outcome",
                         "before", "after", "details", "id"))
        offset = 0
        while True:
            entries, total = await self.trail.page(offset, EXPORT_PAGE, action)
            for e in entries:
                writer.writerow((e.at.isoformat(), e.actor_id, e.actor_email, e.action, e.target_type, e.target_id,
                                 e.outcome, _json(e.before), _json(e.after), _json(e.details), e.id))
            offset += len(entries)
            if not entries or offset >= total:
                return out.getvalue()


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
