"""The reader page's Download card, in English and Spanish: the reading copies, and a "For print" group
whose links carry the printer's options in their query strings (the interior `?bleed=`, the cover
`?paper=`, one choice per paper of print_edition.PAPERS), driven by the same download component, with
labelled controls and no inline script or style (but the import map the CSP allows by its hash)."""
from __future__ import annotations

import html
import re

import pytest

from buko.application.books import print_edition
from buko.entrypoints.http.pages.books import PAPER_NAMES
from tests.integration.http.client import BRIEF, wait_status

HTML = {"Accept": "text/html"}
TEXTS = {
    "en": {"download": "Download", "group": "For print",
           "hint": "Upload these files to a print-on-demand service; the downloads above are reading copies, "
                   "for screens.",
           "interior": "Print interior (PDF)", "bleed": "with 3 mm bleed and crop marks",
           "cover": "Print cover (PDF)", "paper": "Paper (sets the spine width)", "white": "White", "cream": "Cream",
           "preparing": "Preparing…", "preparing_file": "Preparing “{}”…", "failed": "“{}” could not be prepared. Try again."},
    "es": {"download": "Descargar", "group": "Para imprenta",
           "hint": "Sube estos archivos a un servicio de impresión bajo demanda; las descargas de arriba son "
                   "copias de lectura, para pantalla.",
           "interior": "Interior para imprenta (PDF)", "bleed": "con sangrado de 3 mm y marcas de corte",
           "cover": "Cubierta para imprenta (PDF)", "paper": "Papel (fija el ancho del lomo)", "white": "Blanco",
           "cream": "Crema", "preparing": "Preparando…", "preparing_file": "Preparando «{}»…",
           "failed": "No se pudo preparar «{}». Vuelve a intentarlo."},
}


def _element(page: str, tag: str, element_id: str) -> tuple[dict, str]:
    """The attributes and the text of the `tag` whose id is `element_id`."""
    if tag == "input":
        found = re.search(rf'<input\b([^>]*\bid="{element_id}"[^>]*)>', page)
        assert found, f"no <input id={element_id}>"
        return _attributes(found[1]), ""
    found = re.search(rf'<{tag}\b([^>]*\bid="{element_id}"[^>]*)>(.*?)</{tag}>', page, re.S)
    assert found, f"no <{tag} id={element_id}>"
    return _attributes(found[1]), _text(found[2])


def _attributes(source: str) -> dict:
    attributes = {name: html.unescape(value) for name, value in re.findall(r'([\w:.@-]+)="([^"]*)"', source)}
    bare = re.sub(r'"[^"]*"', '""', source)  # the attributes without a value, such as `checked`
    attributes.update({name: "" for name in re.findall(r'(?:^|\s)([\w-]+)(?=\s|$)', bare)})
    return attributes


def _text(source: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", source)).split())


def _busy_note(link_text_html: str) -> tuple[dict, str, str]:
    """The "Preparing…" note inside a download's button: its attributes, its text, and the button's text
    without it."""
    found = re.search(r'<span\b([^>]*\bclass="download-busy"[^>]*)>(.*?</span>.*?)</span>', link_text_html, re.S)
    assert found, f"no busy note in {link_text_html!r}"
    return _attributes(found[1]), _text(found[2]), _text(link_text_html.replace(found[0], ""))


def _link(page: str, element_id: str) -> tuple[dict, str, tuple[dict, str, str]]:
    found = re.search(rf'<a\b([^>]*\bid="{element_id}"[^>]*)>(.*?)</a>', page, re.S)
    assert found, f"no <a id={element_id}>"
    return _attributes(found[1]), _text(found[2]), _busy_note(found[2])


async def _reader(api, locale: str = "en") -> tuple[str, str, object]:
    """A planned book's reader page: (book id, page, response)."""
    client, csrf, _ = await api.register(locale=locale)
    created = await client.post("/api/books", json=BRIEF, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, await created.get_data(as_text=True)
    book_id = (await created.get_json())["id"]
    await wait_status(client, book_id, {"planned"}, {})
    response = await client.get(f"/books/{book_id}/read", headers=HTML)
    page = await response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    return book_id, page, response


def _label_of(page: str, input_id: str) -> str:
    found = re.search(rf'<label\b[^>]*\bfor="{input_id}"[^>]*>(.*?)</label>', page, re.S)
    assert found, f"no <label for={input_id}>"
    return _text(found[1])


@pytest.mark.parametrize("locale", ["en", "es"])
async def test_the_reader_offers_the_printers_files_with_their_options(api, locale):
    texts = TEXTS[locale]
    book_id, page, response = await _reader(api, locale)
    assert f'<html lang="{locale}"' in page
    exports = f"/api/books/{book_id}/export"
    card = re.search(r'<section\b[^>]*x-data="exportsPanel"[^>]*>.*?</section>', page, re.S)[0]
    assert f'data-exports="{exports}"' in card
    assert _element(card, "h2", "downloads-heading")[1] == texts["download"]

    # the reading copies are still there, and the print files come after them, in their own labelled group
    for fmt, label in (("pdf", "PDF"), ("epub", "EPUB"), ("docx", "DOCX"), ("md", "Markdown")):
        attributes, _, (note, note_text, text) = _link(card, f"download-{fmt}")
        assert attributes["href"] == f"{exports}/{fmt}"
        assert text == label and note_text == texts["preparing"]
        assert note["x-show"] == f"isBusy('{fmt}')" and "x-cloak" in note
    assert card.index('id="download-md"') < card.index('id="print-heading"')
    group = re.search(r'<div\b[^>]*role="group"[^>]*aria-labelledby="print-heading"[^>]*>', card)
    assert group, "the print files are not a group labelled by their heading"
    assert _element(card, "h3", "print-heading")[1] == texts["group"]
    assert _element(card, "p", "print-hint")[1] == texts["hint"]

    # the links carry their options, and the same component downloads them (busy state, 202 polling, error)
    for link_id, fmt, query, binding, label in (
            ("download-pdf-print", "pdf-print", "bleed=false", "interiorHref", texts["interior"]),
            ("download-cover-pdf", "cover-pdf", "paper=white", "coverHref", texts["cover"])):
        attributes, _, (note, note_text, text) = _link(card, link_id)
        assert note["x-show"] == f"isBusy('{fmt}')" and "x-cloak" in note and note_text == texts["preparing"]
        assert attributes["href"] == f"{exports}/{fmt}?{query}", attributes
        assert attributes["x-bind:href"] == binding
        assert attributes["data-format"] == fmt
        assert attributes["x-on:click.prevent"] == "download"
        assert attributes["x-bind:aria-busy"] == f"isBusy('{fmt}')"
        assert attributes["aria-describedby"] == "print-hint"
        assert text == label

    bleed, _ = _element(card, "input", "print-bleed")
    assert bleed["type"] == "checkbox" and bleed["x-model"] == "bleed" and "checked" not in bleed
    assert _label_of(card, "print-bleed") == texts["bleed"]
    fieldset = re.search(r"<fieldset\b[^>]*>(.*?)</fieldset>", card[card.index('id="download-cover-pdf"'):], re.S)
    assert fieldset and _text(re.search(r"<legend\b[^>]*>(.*?)</legend>", fieldset[1], re.S)[1]) == texts["paper"]
    for paper in ("white", "cream"):
        radio, _ = _element(fieldset[1], "input", f"print-paper-{paper}")
        assert radio["type"] == "radio" and radio["name"] == "paper" and radio["value"] == paper
        assert radio["x-model"] == "paper"
        assert ("checked" in radio) == (paper == "white")
        assert _label_of(fieldset[1], f"print-paper-{paper}") == texts[paper]

    # while a file is prepared its options stay as they were asked for
    assert bleed["x-bind:disabled"] == "isBusy('pdf-print')"
    assert re.search(r"<fieldset\b[^>]*x-bind:disabled=\"isBusy\('cover-pdf'\)\"", card)

    # every file says, by name, that it is being prepared or that it failed (one live region for them all)
    status = re.search(r'<p\b[^>]*id="download-status"[^>]*>(.*?)</p>', card, re.S)
    assert status and 'aria-live="polite"' in status[0]
    names = {"pdf": "PDF", "epub": "EPUB", "docx": "DOCX", "md": "Markdown", "pdf-print": texts["interior"],
             "cover-pdf": texts["cover"]}
    for fmt, name in names.items():
        for state, binding, text in (("preparing", "isBusy", texts["preparing_file"]),
                                     ("failed", "hasFailed", texts["failed"])):
            found = re.search(rf'<span\b([^>]*data-status="{state}-{fmt}"[^>]*)>(.*?)</span>', status[1], re.S)
            assert found, (state, fmt)
            assert _attributes(found[1])["x-show"] == f"{binding}('{fmt}')" and "x-cloak" in _attributes(found[1])
            assert _text(found[2]) == text.format(name)

    # the strict CSP still holds: no inline script or style anywhere on the page, but the import map,
    # which the policy allows by its hash (tests/integration/http/test_static_versions.py)
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+';", response.headers["Content-Security-Policy"])
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert not re.search(r"\sstyle=", page)
    for script in re.findall(r"<script\b([^>]*)>", page):
        assert "src=" in script or script.strip() in ('type="application/json"', 'type="importmap"'), script


async def test_the_paper_choices_are_print_editions_papers(api, monkeypatch):
    """The choices are read from print_edition.PAPERS (the list the API and the CLI check `?paper=` with):
    a paper added there is offered on the page, in that order, with the default one chosen."""
    monkeypatch.setattr(print_edition, "PAPERS", (*print_edition.PAPERS, "ivory"))
    monkeypatch.setattr(print_edition, "DEFAULT_PAPER", "cream")
    book_id, page, _ = await _reader(api)
    fieldset = re.search(r"<fieldset\b[^>]*>(.*?)</fieldset>", page, re.S)[1]
    radios = [_attributes(found) for found in re.findall(r'<input\b([^>]*\bname="paper"[^>]*)>', fieldset)]
    assert [radio["value"] for radio in radios] == ["white", "cream", "ivory"]
    assert [radio["id"] for radio in radios if "checked" in radio] == ["print-paper-cream"]
    assert _label_of(fieldset, "print-paper-ivory") == "ivory"  # no name yet: shown as it is
    cover = _link(page, "download-cover-pdf")[0]
    assert cover["href"] == f"/api/books/{book_id}/export/cover-pdf?paper=cream"
    section = re.search(r'<section\b[^>]*x-data="exportsPanel"[^>]*>', page)[0]
    assert 'data-paper="cream"' in section  # the component starts from the same paper


def test_every_paper_has_a_name_in_both_languages():
    from babel.support import Translations

    from buko.entrypoints.http.pages.i18n import CATALOGS

    assert set(PAPER_NAMES) == set(print_edition.PAPERS)
    for locale in ("en", "es"):
        catalog = Translations.load(str(CATALOGS), [locale], domain="messages")
        names = [catalog.gettext(PAPER_NAMES[paper]) for paper in print_edition.PAPERS]
        assert names == [TEXTS[locale][paper] for paper in print_edition.PAPERS]
