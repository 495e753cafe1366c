"""The reader's downloads in a real browser: a file clicked while another one renders starts at once and
each button shows its own state ("Preparing…", aria-busy), a file that cannot be prepared says so by name,
in English and in Spanish; and every script the page loads, imports included, has a versioned URL.

The export answers are played by a route (202 while "rendering", then the file or a 500), so the test
decides when each file is ready; the real renders are tested in test_journey.py."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.integration.browser.helpers import new_book, register, shoot

EXPORTS = re.compile(r"/api/books/[^/]+/export/([\w-]+)")


class Exports:
    """What the export API answers per format: "rendering" (202, Retry-After: 1), "ready" or "broken"."""

    def __init__(self, page: Page):
        self.state: dict[str, str] = {}
        self.asked: list[str] = []
        page.route(EXPORTS, self.answer)

    def answer(self, route):
        fmt = EXPORTS.search(route.request.url)[1]
        self.asked.append(fmt)
        state = self.state.get(fmt, "rendering")
        if state == "rendering":
            route.fulfill(status=202, headers={"Retry-After": "1"}, content_type="application/json",
                          body='{"status": "rendering", "retry_after": 1}')
        elif state == "ready":
            route.fulfill(status=200, content_type="application/octet-stream", body=b"the file",
                          headers={"Content-Disposition": f'attachment; filename="bees.{fmt}"'})
        else:
            route.fulfill(status=500, content_type="application/json",
                          body='{"error": {"code": "internal_error", "message": "it broke", "details": {}}}')


def test_a_download_clicked_while_another_renders_shows_its_own_state(page: Page):
    static: list[str] = []
    page.on("request", lambda request: static.append(request.url) if "/static/" in request.url else None)
    register(page)
    book_id = new_book(page, words=1200, chapters=2)
    exports = Exports(page)
    static.clear()
    page.goto(f"/books/{book_id}/read")
    page.wait_for_load_state("networkidle")
    # the modules app.js imports (exports.js, common.js, Alpine) come through the import map, versioned
    assert any("/static/js/exports.js?v=" in url for url in static), static
    assert static and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in static), static

    pdf, epub = page.locator("#download-pdf"), page.locator("#download-epub")
    status = page.locator("#download-status")
    pdf.click()
    expect(pdf).to_have_attribute("aria-busy", "true")
    expect(pdf.locator(".download-busy")).to_be_visible()
    expect(pdf).to_have_text(re.compile(r"^PDF\s*Preparing…$"), use_inner_text=True)
    expect(status.locator("[data-status=preparing-pdf]")).to_have_text("Preparing “PDF”…")
    expect(status.locator("[data-status=preparing-pdf]")).to_be_visible()
    shoot(page, "12-reader-preparing")

    # another file while the PDF renders: it starts at once, says so, and arrives; the PDF keeps waiting
    exports.state["epub"] = "ready"
    with page.expect_download() as download:
        epub.click()
    assert download.value.suggested_filename == "bees.epub"
    expect(epub).not_to_have_attribute("aria-busy", "true")
    expect(epub.locator(".download-busy")).to_be_hidden()
    expect(pdf).to_have_attribute("aria-busy", "true")
    asked = exports.asked.count("pdf")
    pdf.click()  # on its way already: no second chain of requests
    page.wait_for_timeout(2500)
    assert exports.asked.count("pdf") <= asked + 3, exports.asked

    # the cover's paper is locked while the cover is prepared, and a render that fails says which file
    page.locator("#download-cover-pdf").click()
    expect(page.locator("#print-paper-cream")).to_be_disabled()
    expect(page.locator("#print-bleed")).to_be_enabled()
    exports.state["pdf"] = "broken"
    expect(status.locator("[data-status=failed-pdf]")).to_have_text("“PDF” could not be prepared. Try again.")
    expect(status.locator("[data-status=failed-pdf]")).to_be_visible()
    expect(pdf).not_to_have_attribute("aria-busy", "true")
    expect(status.locator("[data-status=preparing-pdf]")).to_be_hidden()
    expect(status.locator("[data-status=preparing-cover-pdf]")).to_be_visible()
    exports.state["cover-pdf"] = "ready"
    expect(page.locator("#print-paper-cream")).to_be_enabled(timeout=10_000)
    expect(status.locator("[data-status=preparing-cover-pdf]")).to_be_hidden()
    unexpected = [e for e in page.console_errors if "status of 500" not in e]  # the 500s the route played
    assert not unexpected, unexpected


def test_the_download_states_speak_spanish(page: Page):
    register(page, locale="es")
    book_id = new_book(page, words=1200, chapters=2)
    exports = Exports(page)
    page.goto(f"/books/{book_id}/read")
    docx, interior = page.locator("#download-docx"), page.locator("#download-pdf-print")
    status = page.locator("#download-status")
    docx.click()
    interior.click()
    for button, name, key in ((docx, "DOCX", "docx"), (interior, "Interior para imprenta (PDF)", "pdf-print")):
        expect(button).to_have_attribute("aria-busy", "true")
        expect(button.locator(".download-busy")).to_have_text("Preparando…")
        expect(status.locator(f"[data-status=preparing-{key}]")).to_have_text(f"Preparando «{name}»…")
    expect(page.get_by_label("con sangrado de 3 mm y marcas de corte")).to_be_disabled()
    exports.state["docx"] = "broken"
    expect(status.locator("[data-status=failed-docx]")).to_have_text("No se pudo preparar «DOCX». Vuelve a intentarlo.")
    expect(status.locator("[data-status=failed-docx]")).to_be_visible()
    expect(interior).to_have_attribute("aria-busy", "true")
    # a new try clears the message while it runs
    exports.state["docx"] = "rendering"
    docx.click()
    expect(status.locator("[data-status=failed-docx]")).to_be_hidden()
    expect(docx).to_have_attribute("aria-busy", "true")
    unexpected = [e for e in page.console_errors if "status of 500" not in e]  # the 500s the route played
    assert not unexpected, unexpected
