"""An author's whole journey in a real browser, and the live page surviving a dropped socket."""
from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Page, expect

from tests.fixtures.export_checks import epubcheck
from tests.integration.browser.helpers import api, new_book, register, shoot, wait_status, write_by_api

RENAMED = "Bees Above the Street"


def drag(page: Page, source, target) -> None:
    """A mouse drag the way a person does it (SortableJS follows the pointer, not a synthetic drop);
    the window is made tall enough to hold both cards."""
    page.set_viewport_size({"width": 1280, "height": 2800})
    target.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] - 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 2, steps=20)
    page.wait_for_timeout(200)
    page.mouse.up()
    page.set_viewport_size({"width": 1280, "height": 900})


def chapter_titles(page: Page) -> list[str]:
    return page.locator("#chapters > li input[id$='-title'][id^='chapter-']").evaluate_all("els => els.map(e => e.value)")


def test_register_plan_edit_approve_watch_download_and_switch_to_spanish(page: Page, tmp_path):
    register(page)
    book_id = new_book(page)
    before = chapter_titles(page)
    assert len(before) == 3
    page.locator("#chapter-0-title").fill(RENAMED)
    drag(page, page.locator("#chapters > li").nth(1).locator(".chapter-handle"),
         page.locator("#chapters > li").nth(0).locator(".chapter-handle"))
    expect(page.locator("#chapter-0-title")).to_have_value(before[1])
    assert chapter_titles(page) == [before[1], RENAMED, before[2]]
    page.reload()  # the unsaved draft survives a reload
    expect(page.locator("#status-area")).to_contain_text("restored")
    assert chapter_titles(page) == [before[1], RENAMED, before[2]]
    page.locator("#approve").click()
    page.wait_for_url(re.compile(rf"/books/{book_id}/write"))
    stored = api(page, "GET", f"/api/books/{book_id}/architecture")["architecture"]
    assert [c["title"] for c in stored["chapters"]] == [before[1], RENAMED, before[2]]
    # the text streams in while the book is being written
    expect(page.locator("#book-status")).to_have_text("Writing", timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('.live-text')].some(e => e.textContent.length > 40)")
    expect(page.locator("#read-link")).to_be_visible(timeout=120_000)
    expect(page.locator("#book-progress")).to_have_attribute("value", re.compile(r"\d+"))
    page.locator("#read-link").click()
    expect(page.locator("#ch-2-title")).to_contain_text(RENAMED)
    files = {}
    for fmt in ("epub", "pdf"):
        with page.expect_download(timeout=120_000) as download:
            page.locator(f"#download-{fmt}").click()
        files[fmt] = tmp_path / f"book.{fmt}"
        download.value.save_as(files[fmt])
    report = epubcheck(files["epub"])
    assert "No errors or warnings detected" in report or "Messages: 0 fatals / 0 errors" in report, report
    text = subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert RENAMED in " ".join(text.split())
    info = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 5
    page.locator("header button[value=es]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("header nav")).to_contain_text("Mis libros")
    expect(page.locator("#downloads-heading")).to_have_text("Descargar")
    page.goto("/books")
    expect(page.locator("h1")).to_have_text("Mis libros")
    expect(page.locator(".badge").first).to_have_text("Escrito")
    assert not page.console_errors, page.console_errors


def test_the_print_interior_downloads_with_bleed_and_crop_marks(page: Page, tmp_path):
    """The reader's "For print" group: ticking the bleed box puts `?bleed=true` on the interior's link (and
    the paper on the cover's), and clicking it downloads the printer's PDF through the same 202-polling
    component as the reading copies."""
    register(page)
    book_id = new_book(page, words=1200, chapters=2)
    write_by_api(page, book_id)
    wait_status(page, book_id, {"written"})
    page.goto(f"/books/{book_id}/read")
    exports = f"/api/books/{book_id}/export"
    interior, cover = page.locator("#download-pdf-print"), page.locator("#download-cover-pdf")
    expect(interior).to_have_attribute("href", f"{exports}/pdf-print?bleed=false")
    expect(cover).to_have_attribute("href", f"{exports}/cover-pdf?paper=white")
    page.get_by_label("with 3 mm bleed and crop marks").check()
    expect(interior).to_have_attribute("href", f"{exports}/pdf-print?bleed=true")
    page.get_by_label("Cream").check()
    expect(cover).to_have_attribute("href", f"{exports}/cover-pdf?paper=cream")
    answers: list[tuple[str, int, str, bytes]] = []  # what the page asked for, and what the server answered

    def through(route):
        answer = route.fetch()
        answers.append((route.request.url, answer.status, answer.headers.get("content-type", ""), answer.body()))
        route.fulfill(response=answer)

    page.route(re.compile(r"/api/books/[^/]+/export/"), through)
    with page.expect_download(timeout=120_000) as download:
        interior.click()
    assert answers and all(url.endswith(f"{exports}/pdf-print?bleed=true") for url, *_ in answers), answers
    assert [status for _, status, *_ in answers[:-1]] == [202] * (len(answers) - 1)  # polled while it rendered
    _, status, media_type, body = answers[-1]
    assert status == 200 and media_type == "application/pdf" and body.startswith(b"%PDF")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith("-print.pdf") and saved.read_bytes().startswith(b"%PDF")
    # 3 mm (8.5 pt) of bleed on every side of the trimmed page
    boxes = subprocess.run(["pdfinfo", "-box", str(saved)], capture_output=True, text=True, check=True).stdout
    number = r"\s+(-?[\d.]+)"
    media, trim = (tuple(float(v) for v in re.search(box + ":" + number * 4, boxes).groups())
                   for box in ("MediaBox", "TrimBox"))
    assert all(abs(t - m - 8.5) < 0.2 for t, m in zip(trim[:2], media[:2])), boxes
    assert all(abs(m - t - 8.5) < 0.2 for t, m in zip(trim[2:], media[2:])), boxes
    expect(interior).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#download-status .error:visible")).to_have_count(0)
    page.locator("header button[value=es]").click()
    expect(page.locator("#print-heading")).to_have_text("Para imprenta")
    expect(interior).to_have_text("Interior para imprenta (PDF)", use_inner_text=True)  # not "Preparando…"
    expect(page.get_by_label("con sangrado de 3 mm y marcas de corte")).not_to_be_checked()
    expect(cover).to_have_text("Cubierta para imprenta (PDF)", use_inner_text=True)
    assert not page.console_errors, page.console_errors


def test_the_live_page_recovers_from_a_socket_closed_mid_chunk(page: Page):
    register(page)
    book_id = new_book(page, words=2000, chapters=2)
    sockets = {"opened": 0, "deltas": 0}

    def route(ws):
        sockets["opened"] += 1
        server = ws.connect_to_server()
        first = sockets["opened"] == 1

        def from_server(message):
            ws.send(message)
            if first and '"type": "delta"' in message:
                sockets["deltas"] += 1
                if sockets["deltas"] == 8:  # mid-chunk: the server side goes away
                    ws.close(code=1011, reason="server went away")
                    server.close()

        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/ws/books/"), route)
    write_by_api(page, book_id)
    page.goto(f"/books/{book_id}/write")
    expect(page.locator("#connection")).to_contain_text("Reconnect", timeout=60_000)
    expect(page.locator("#read-link")).to_be_visible(timeout=120_000)
    assert sockets["opened"] >= 2 and sockets["deltas"] >= 8
    wait_status(page, book_id, {"written"})
    stored = api(page, "GET", f"/api/books/{book_id}/chunks?limit=100")["chunks"]
    shown = page.locator(".live-text").evaluate_all("els => els.map(e => [Number(e.id.split('-')[1]), e.textContent])")
    assert len(shown) == len(stored) > 1
    for index, text in shown:
        assert text == stored[index]["text"], f"chunk {index} differs from the stored text"
    shoot(page, "07-live-after-reconnect")
