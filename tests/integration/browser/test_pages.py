"""Every page: axe-core finds no serious or critical problem, nothing overflows a 375 px phone, and
a screenshot of each (desktop and phone) is saved. Another author's pages are a 404; model text
that looks like HTML is shown as text."""
from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import Page, expect

from tests.integration.browser.conftest import ADMIN_EMAIL, AXE
from tests.integration.browser.helpers import (
    api, log_in, new_book, no_horizontal_scroll, register, shoot, wait_status, write_by_api,
)

HOSTILE = 'Before <script>window.__owned = 1</script> and <img src="x" onerror="window.__owned = 2"> after.'


def axe_problems(page: Page) -> list[str]:
    """axe-core run in the page (injected through the debugging protocol, so the page's CSP stays strict)."""
    page.evaluate(AXE.read_text())
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
    }""")
    return found


def check(page: Page, name: str, path: str | None = None) -> None:
    if path is not None:
        page.goto(path)
    page.wait_for_load_state("networkidle")
    problems = axe_problems(page)
    assert not problems, f"{name}: {problems}"
    no_horizontal_scroll(page)
    shoot(page, name)


def test_every_page_is_accessible_fits_a_phone_and_is_photographed(page: Page):
    assert AXE.exists(), "axe-core comes from frontend/node_modules: run scripts/setup"
    check(page, "01-landing", "/")
    check(page, "02-register", "/register")
    check(page, "03-login", "/login")
    register(page)
    check(page, "04-dashboard-empty", "/books")
    check(page, "05-wizard", "/books/new")
    page.locator("form[x-data=wizard] button[type=submit]").click()  # empty: errors next to the fields
    expect(page.locator("#f-idea-error")).not_to_be_empty()
    check(page, "05-wizard-errors")
    book_id = new_book(page)
    check(page, "06-architecture")
    write_by_api(page, book_id)
    check(page, "07-live", f"/books/{book_id}/write")
    wait_status(page, book_id, {"written"})
    check(page, "07-live-written", f"/books/{book_id}/write")
    check(page, "08-reader", f"/books/{book_id}/read")
    check(page, "09-cover", f"/books/{book_id}/cover")
    check(page, "04-dashboard", "/books")
    page.goto("/account")
    page.locator("#f-token_name").fill("my script")
    page.locator("form[action$='/account/tokens'] button[type=submit]").click()
    expect(page.locator("#new-token")).to_have_value(re.compile(r".{20,}"))
    check(page, "10-account-new-token")
    check(page, "11-not-found", "/books/no-such-book/read")
    expected = ("WebGL", "status of 404", "status of 422")  # the 404 page and the wizard refusing empty fields
    assert not [e for e in page.console_errors if not any(x in e for x in expected)], page.console_errors


def test_admin_pages_are_accessible_and_fit_a_phone(page: Page):
    register(page, name="Bea Escritora")
    new_book(page, words=1200, chapters=2)
    page.locator("header form[action='/logout'] button").click()
    log_in(page, ADMIN_EMAIL)
    check(page, "12-admin-users", "/admin/users")
    check(page, "13-admin-books", "/admin/books")
    check(page, "14-admin-queues", "/admin/queues")
    page.locator("header button[value=es]").click()
    expect(page.locator("h1")).to_have_text("Colas")
    check(page, "15-admin-queues-es")
    check(page, "12-admin-users-es", "/admin/users")


def test_another_author_gets_a_404_page_for_my_book(page: Page, browser, server):
    register(page)
    book_id = new_book(page, words=1200, chapters=2)
    other = browser.new_context(base_url=server[0], locale="es-ES")
    stranger = other.new_page()
    try:
        register(stranger, name="Otra Autora", locale="es")
        for path in ("architecture", "write", "read", "cover", "cover.png"):
            response = stranger.goto(f"/books/{book_id}/{path}")
            assert response.status == 404, path
            if path != "cover.png":
                expect(stranger.locator("h1")).to_have_text("Página no encontrada")
        assert stranger.request.get(f"/api/books/{book_id}").status == 404
    finally:
        other.close()


def test_model_text_that_looks_like_html_is_shown_as_text(page: Page, server):
    register(page)
    book_id = new_book(page, words=1200, chapters=2)
    write_by_api(page, book_id)
    wait_status(page, book_id, {"written"})
    with sqlite3.connect(server[1] / "buko.db") as db:
        db.execute('UPDATE chunks SET text = ? WHERE book_id = ? AND "index" = 0', (HOSTILE, book_id))
    for path in ("read", "write"):
        page.goto(f"/books/{book_id}/{path}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("main")).to_contain_text('<script>window.__owned = 1</script>')
        # the reader typesets quotes (“x”); what matters is that the tag is text, not an element
        expect(page.locator("main")).to_contain_text(re.compile(r'<img src=.x. onerror=.window.__owned = 2.>'))
        assert page.evaluate("window.__owned === undefined")
        assert page.locator("main img[src='x'], main script").count() == 0
    shoot(page, "16-live-hostile-text")
