"""Steps the browser tests share: register, create a book through the wizard, call the API as the page does."""
from __future__ import annotations

import itertools
import re
import time

from playwright.sync_api import Page, expect

from tests.integration.browser.conftest import PASSWORD, PHONE, SHOTS, DESKTOP

IDEA = "A practical guide to urban beekeeping on small balconies"
_numbers = itertools.count(1)


def register(page: Page, name: str = "Ana Autora", locale: str = "en") -> str:
    email = f"author{next(_numbers)}-{int(time.time() * 1000)}@example.com"
    page.goto("/register")
    page.locator("#f-name").fill(name)
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-locale").select_option(locale)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/books\?notice=welcome"))
    return email


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/books"))


def csrf(page: Page) -> str:
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


def api(page: Page, method: str, path: str, data=None) -> dict:
    response = page.request.fetch(path, method=method, data=data, headers={"X-CSRF-Token": csrf(page)})
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json()


def new_book(page: Page, words: int = 2400, chapters: int = 3) -> str:
    """Through the wizard; returns the book id once its architecture is on the page."""
    page.goto("/books/new")
    page.locator("#f-idea").fill(IDEA)
    page.locator("#f-length").fill(str(words))
    page.locator("#f-chapters").fill(str(chapters))
    page.locator("form[x-data=wizard] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/books/\w+/architecture"))
    expect(page.locator("#chapter-0-title")).to_be_visible(timeout=60_000)
    return page.url.split("/books/")[1].split("/")[0]


def wait_status(page: Page, book_id: str, wanted: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        book = api(page, "GET", f"/api/books/{book_id}")
        if book["status"] in wanted:
            return book
        assert time.monotonic() < deadline, f"book stayed {book['status']}"
        time.sleep(0.3)


def write_by_api(page: Page, book_id: str) -> None:
    api(page, "POST", f"/api/books/{book_id}/approve")
    api(page, "POST", f"/api/books/{book_id}/write", {"lanes": 1})


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot at desktop and at phone width (375 px), for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def no_horizontal_scroll(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !e.parentElement.closest('.overflow-x-auto'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30))""")
    page.set_viewport_size(DESKTOP)
    assert overflow <= 1, f"{page.url} is {overflow}px wider than a 375 px phone: {culprits}"
