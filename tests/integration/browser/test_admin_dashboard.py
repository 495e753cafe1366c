"""The admin's live analytics in a real browser: charts drawn by uPlot under the strict CSP, numbers
that change without a reload when a book starts, the CSV; screenshots of analytics, tasks and model."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.integration.browser.conftest import ADMIN_EMAIL
from tests.integration.browser.helpers import api, log_in, shoot, wait_status, write_by_api

BRIEF = {"idea": "A practical guide to urban beekeeping on small balconies", "target_words": 1200, "chapters": 2}


def test_live_analytics_tasks_and_model_pages(page: Page):
    log_in(page, ADMIN_EMAIL)
    me = api(page, "GET", "/api/auth/me")
    api(page, "POST", f"/api/admin/users/{(me.get('user') or me)['id']}/plan", {"plan": "studio"})
    book = api(page, "POST", "/api/books", BRIEF)
    wait_status(page, book["id"], {"planned"})
    write_by_api(page, book["id"])
    wait_status(page, book["id"], {"written"})

    page.goto("/admin/analytics?range=24h")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "live", timeout=20_000)
    expect(page.locator(".chart .uplot canvas")).to_have_count(4)
    started = page.locator('[data-total="books_started"]')
    report = api(page, "GET", "/api/admin/analytics?range=24h")
    expect(started).to_have_text(str(report["totals"]["books_started"]))
    expect(page.locator('[data-total="words"]')).not_to_have_text("0")

    api(page, "POST", "/api/books", BRIEF)  # the page learns of it from the stream, without a reload
    expect(started).to_have_text(str(report["totals"]["books_started"] + 1), timeout=20_000)
    shoot(page, "admin-analytics")

    exported = page.request.get("/api/admin/analytics.csv?range=24h")
    assert exported.ok and exported.headers["content-type"].startswith("text/csv")
    assert "funnel,registered,users," in exported.text()

    page.goto("/admin/tasks")
    expect(page.get_by_role("heading", name="book_generation_normal")).to_be_visible()
    shoot(page, "admin-tasks")
    page.goto("/admin/model")
    expect(page.get_by_text("offline demo writer", exact=False).first).to_be_visible()
    shoot(page, "admin-model")
    assert page.console_errors == [], page.console_errors
