"""The admin's operations: analytics equal SQL counts on a seeded database, every admin action is
audited once (append-only), a failed task retried from the queues API runs again, pages refuse authors."""
from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from buko.adapters.persistence.ops_tables import audit_log, book_milestones, model_calls
from buko.adapters.persistence.tables import books, invoices, subscriptions, users
from buko.application.commands import MakeAdmin
from tests.integration.http.client import BRIEF, bearer, wait_status

NOW = datetime.now(UTC)


def _container(app):
    return app.app.extensions["buko_container"]


async def admin_client(api, app):
    client, csrf, user = await api.register()
    await _container(app).use_cases.account_admin().make_admin(MakeAdmin(user["email"]))
    return client, bearer(await api.token_for(client, csrf)), user


async def seed(engine) -> None:
    """Users, books, milestones, model calls, invoices and subscriptions spread over 40 days."""
    rng = __import__("random").Random(7)
    async with engine.begin() as conn:
        user_ids = []
        for n in range(12):
            uid = f"seed-user-{n}"
            user_ids.append(uid)
            await conn.execute(sa.insert(users).values(id=uid, email=f"seed{n}@example.com", name="Seed", role="author",
                                                       created_at=NOW - timedelta(days=rng.randint(0, 40), hours=1)))
        for n in range(30):
            bid, owner = f"seed-book-{n}", rng.choice(user_ids)
            created = NOW - timedelta(days=rng.randint(0, 35), hours=rng.randint(0, 23))
            await conn.execute(sa.insert(books).values(
                id=bid, owner_id=owner, status=rng.choice(["planned", "writing", "written", "failed"]),
                brief={}, architecture=None, lanes=1, writer="seed", demo=True, planning_usage={}, revision_notes="",
                failure="", created_at=created, updated_at=created, version=1))
            for step, milestone in enumerate(("planned", "approved", "written", "downloaded")):
                if rng.random() < 0.8 - step * 0.15:
                    await conn.execute(sa.insert(book_milestones).values(
                        book_id=bid, milestone=milestone, user_id=owner, at=created + timedelta(hours=step + 1)))
                else:
                    break
            for index in range(rng.randint(0, 4)):
                await conn.execute(sa.insert(model_calls).values(
                    id=uuid.uuid4().hex, at=created + timedelta(hours=index), model=rng.choice(["m-a", "m-b"]),
                    kind="chunk", outcome=rng.choice(["ok", "ok", "ok", "error"]), seconds=rng.uniform(1, 30),
                    book_id=bid, chunk_index=index, first_token_seconds=rng.uniform(0.1, 1),
                    input_tokens=rng.randint(100, 5000), output_tokens=rng.randint(100, 3000), thinking_tokens=0,
                    cache_read_tokens=0, cache_write_tokens=0, cost_usd=rng.uniform(0.001, 0.2), api_requests=1,
                    words=rng.randint(100, 2000), error=""))
        for n in range(8):
            await conn.execute(sa.insert(invoices).values(
                id=f"inv-{n}", user_id=user_ids[n], subscription_id=f"sub-{n}", gateway=rng.choice(["paypal", "mercadopago"]),
                payment_id=f"pay-{n}", plan_code=rng.choice(["author", "pro"]), amount=rng.randint(500, 3000),
                currency="USD", status=rng.choice(["paid", "paid", "failed"]),
                created_at=NOW - timedelta(days=rng.randint(0, 40))))
            await conn.execute(sa.insert(subscriptions).values(
                id=f"sub-{n}", user_id=user_ids[n], plan_code=rng.choice(["author", "pro"]),
                status=rng.choice(["active", "active", "cancelled"]), started_at=NOW - timedelta(days=50),
                gateway=rng.choice(["paypal", "manual"]), currency="USD", amount=1000))


async def scalar(engine, sql: str, **params):
    async with engine.connect() as conn:
        return (await conn.execute(sa.text(sql), params)).scalar()


@pytest.mark.parametrize("range_name,days", [("7d", 7), ("30d", 30)])
async def test_analytics_equal_sql_counts_on_a_seeded_database(api, app, range_name, days):
    engine = _container(app).core.engine()
    await seed(engine)
    client, auth, _ = await admin_client(api, app)
    report = await (await client.get(f"/api/admin/analytics?range={range_name}", headers=auth)).get_json()
    since = datetime.fromisoformat(report["since"])
    until = datetime.fromisoformat(report["until"])
    assert until - since == timedelta(days=days)
    window = dict(since=since.replace(tzinfo=None), until=until.replace(tzinfo=None))
    total = report["totals"]
    assert total["books_started"] == await scalar(engine, "SELECT count(*) FROM books WHERE created_at >= :since "
                                                  "AND created_at < :until", **window)
    assert total["books_finished"] == await scalar(engine, "SELECT count(*) FROM book_milestones WHERE "
                                                   "milestone = 'written' AND at >= :since AND at < :until", **window)
    assert total["words"] == await scalar(engine, "SELECT coalesce(sum(words), 0) FROM model_calls WHERE at >= :since "
                                          "AND at < :until", **window)
    assert total["output_tokens"] == await scalar(engine, "SELECT coalesce(sum(output_tokens), 0) FROM model_calls "
                                                  "WHERE at >= :since AND at < :until", **window)
    cost = await scalar(engine, "SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE at >= :since "
                        "AND at < :until", **window)
    assert total["cost_usd"] == pytest.approx(cost, abs=1e-5)
    assert sum(report["cost_by_model"].values()) == pytest.approx(cost, abs=1e-5)
    assert sum(d["books_started"] for d in report["days"]) == total["books_started"]
    revenue = await scalar(engine, "SELECT coalesce(sum(amount), 0) FROM invoices WHERE status = 'paid' "
                           "AND created_at >= :since AND created_at < :until", **window)
    assert sum(r["amount"] for r in report["revenue"]) == revenue
    assert sum(s["count"] for s in report["active_subscriptions"]) == await scalar(
        engine, "SELECT count(*) FROM subscriptions WHERE status = 'active'")
    funnel = {step["step"]: step["users"] for step in report["funnel"]}
    assert funnel["registered"] == await scalar(engine, "SELECT count(*) FROM users WHERE created_at >= :since "
                                                "AND created_at < :until", **window)
    for milestone in ("planned", "approved", "written", "downloaded"):
        assert funnel[milestone] == await scalar(
            engine, "SELECT count(DISTINCT m.user_id) FROM book_milestones m JOIN users u ON u.id = m.user_id "
            "WHERE m.milestone = :m AND u.created_at >= :since AND u.created_at < :until", m=milestone, **window)
    assert funnel["registered"] >= funnel["planned"] >= funnel["approved"] >= funnel["written"] >= funnel["downloaded"]
    ok_chunks = await scalar(engine, "SELECT count(*) FROM model_calls WHERE kind = 'chunk' AND outcome = 'ok' "
                             "AND at >= :since AND at < :until", **window)
    assert report["chunk_latency"]["count"] == ok_chunks
    if ok_chunks:
        assert report["chunk_latency"]["p50"] <= report["chunk_latency"]["p95"]
    exported = await client.get(f"/api/admin/analytics.csv?range={range_name}", headers=auth)
    rows = list(csv.DictReader(io.StringIO(await exported.get_data(as_text=True))))
    assert exported.mimetype == "text/csv"
    assert {r["metric"]: r["value"] for r in rows if r["section"] == "total"}["books_started"] == \
        str(total["books_started"])


async def test_the_live_analytics_stream_sends_server_sent_events(api, app):
    client, auth, _ = await admin_client(api, app)
    async with client.request("/api/admin/analytics/stream?range=24h", headers=auth) as connection:
        await connection.send_complete()
        data = b""
        async with asyncio.timeout(10):
            while b"\n\n" not in data:
                data += await connection.receive()
        await connection.disconnect()
    event, payload = data.decode().split("\n", 1)
    assert event == "event: analytics" and '"range": "24h"' in payload


async def test_every_admin_action_is_audited_once_and_the_log_is_append_only(api, app):
    client, auth, admin_user = await admin_client(api, app)
    _author_client, _csrf, author = await api.register()
    actions = [
        ("POST", f"/api/admin/users/{author['id']}/suspend", {"suspended": True}),
        ("POST", f"/api/admin/users/{author['id']}/suspend", {"suspended": False}),
        ("POST", f"/api/admin/users/{author['id']}/plan", {"plan": "pro"}),
    ]
    for method, path, body in actions:
        response = await client.open(path, method=method, json=body, headers=auth)
        assert response.status_code < 300, await response.get_data(as_text=True)
    page = await (await client.get("/api/admin/audit?limit=100", headers=auth)).get_json()
    entries = list(reversed(page["entries"]))
    assert [e["action"] for e in entries] == ["user.suspend", "user.reactivate", "user.plan"]
    assert all(e["actor_id"] == admin_user["id"] and e["target_id"] == author["id"] for e in entries)
    assert entries[0]["before"]["suspended"] is False and entries[0]["after"]["suspended"] is True
    assert entries[2]["before"]["plan"] == "free" and entries[2]["after"]["plan"] == "pro"
    exported = await (await client.get("/api/admin/audit.csv", headers=auth)).get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(exported)))) == 3
    engine = _container(app).core.engine()
    with pytest.raises(Exception, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.update(audit_log).values(action="forged"))
    with pytest.raises(Exception, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.delete(audit_log))


async def test_a_failed_task_retried_from_the_queues_api_runs_again(api, app):
    container = _container(app)
    exporter = container.use_cases.observed_exporters()["epub"]
    real, calls = exporter.render, []

    def flaky(manuscript, cover):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full (injected)")
        return real(manuscript, cover)

    exporter.render = flaky
    author_client, csrf, _ = await api.register()
    author = bearer(await api.token_for(author_client, csrf))
    book_id = (await (await author_client.post("/api/books", json=BRIEF, headers=author)).get_json())["id"]
    await wait_status(author_client, book_id, {"planned"}, author)
    await author_client.post(f"/api/books/{book_id}/approve", headers=author)
    await author_client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=author)
    await wait_status(author_client, book_id, {"written"}, author, timeout=120)
    client, auth, _ = await admin_client(api, app)
    async with asyncio.timeout(60):
        while True:
            detail = await (await client.get("/api/admin/queues/detail", headers=auth)).get_json()
            failed = [f for f in detail["failed"] if f["kwargs"].get("book_id") == book_id]
            if failed:
                break
            await asyncio.sleep(0.2)
    assert failed[0]["task"] == "buko.export_book" and "disk full" in failed[0]["error"]
    assert {k: failed[0]["kwargs"][k] for k in ("book_id", "format")} == {"book_id": book_id, "format": "epub"}
    response = await client.post(f"/api/admin/tasks/failed/{failed[0]['id']}/retry", headers=auth)
    assert response.status_code == 202 and (await response.get_json())["retried_at"]
    again = await client.post(f"/api/admin/tasks/failed/{failed[0]['id']}/retry", headers=auth)
    assert again.status_code == 409
    async with asyncio.timeout(60):
        while True:
            exported = await author_client.get(f"/api/books/{book_id}/export/epub", headers=author)
            if exported.status_code == 200:
                break
            await asyncio.sleep(0.3)
    assert len(calls) >= 2  # it ran again, and this time it rendered
    audit = await (await client.get("/api/admin/audit?action=task.retry", headers=auth)).get_json()
    assert audit["total"] == 2 and {e["outcome"] for e in audit["entries"]} == {202, 409}


async def test_authors_get_403_on_every_admin_page(api, app):
    author, _csrf, _ = await api.register()
    admin_pages = [r.rule for r in app.app.url_map.iter_rules()
                   if r.rule.startswith("/admin/") and "GET" in r.methods and "<" not in r.rule]
    assert len(admin_pages) >= 6
    for rule in admin_pages:
        response = await author.get(rule)
        assert response.status_code == 403, rule


async def test_admin_pages_render_and_a_page_form_action_is_audited_once(api, app):
    client, csrf, admin_user = await api.register()
    await _container(app).use_cases.account_admin().make_admin(MakeAdmin(admin_user["email"]))
    _other, _c, author = await api.register()
    for path, expected in [("/admin/analytics?range=24h", "analytics-data"), ("/admin/tasks", "book_generation_normal"),
                           ("/admin/model", "offline demo writer"), ("/admin/audit", "audit.csv"),
                           (f"/admin/users/{author['id']}", author["email"])]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert expected in await response.get_data(as_text=True), path
    response = await client.post(f"/admin/users/{author['id']}/suspend", form={"csrf_token": csrf, "suspended": "1"})
    assert response.status_code == 303
    page = await (await client.get("/api/admin/audit")).get_json()
    assert [(e["action"], e["details"]["via"], e["after"]["suspended"]) for e in page["entries"]] == \
        [("user.suspend", "admin_pages", True)]
    assert author["email"] in await (await client.get("/admin/audit")).get_data(as_text=True)
