"""The printer's files over the API: `export/pdf-print` (`?bleed=true`) and `export/cover-pdf`
(`?paper=cream`), checked with pdfinfo; options a file does not take answer 422, never a 500."""
from __future__ import annotations

import re

from buko.adapters.export.pdf_style import BLEED_PT, TRIMS
from buko.adapters.export.print_cover import PAPER_MM
from tests.fixtures.export_checks import need, run
from tests.integration.http.client import BRIEF, bearer, wait_status
from tests.integration.http.test_journey import _download


def _size(path) -> tuple[int, float, float]:
    info = run("pdfinfo", str(path)).stdout
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    return int(re.search(r"Pages:\s+(\d+)", info)[1]), width, height


async def test_the_printers_files_download_with_their_options(api, tmp_path):
    need("pdfinfo")
    client, csrf, _ = await api.register()
    auth = bearer(await api.token_for(client, csrf))
    book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    await client.post(f"/api/books/{book_id}/approve", headers=auth)
    await client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=auth)
    await wait_status(client, book_id, {"written"}, auth)

    for query, status, code in (("epub?bleed=true", 422, "invalid_export_options"),
                                ("pdf?paper=cream", 422, "invalid_export_options"),
                                ("cover-pdf?paper=glossy", 422, "invalid_export_options"),
                                ("cover-pdf?bleed=true", 422, "invalid_export_options")):
        refused = await client.get(f"/api/books/{book_id}/export/{query}", headers=auth)
        assert refused.status_code == status, (query, await refused.get_data(as_text=True))
        assert (await refused.get_json())["error"]["code"] == code
    unknown = await client.get(f"/api/books/{book_id}/export/pdf?colour=red", headers=auth)
    assert unknown.status_code in (400, 422)

    trim, files = TRIMS["A5"], {}
    for query in ("pdf", "pdf-print?bleed=true", "pdf-print", "cover-pdf?paper=cream"):
        files[query] = tmp_path / f"{len(files)}.pdf"
        files[query].write_bytes(await _download(client, book_id, query, auth))
    response = await client.get(f"/api/books/{book_id}/export/cover-pdf?paper=cream", headers=auth)
    assert response.headers["Content-Type"] == "application/pdf"
    assert re.search(r'filename="?a-practical-guide-to-urban-beekeeping-on-small-balconies-cover\.pdf',
                     response.headers["Content-Disposition"])
    reading, bled, plain = _size(files["pdf"]), _size(files["pdf-print?bleed=true"]), _size(files["pdf-print"])
    assert bled[0] == plain[0] == reading[0] - 2
    assert abs(plain[1] - trim.width) < 0.6 and abs(plain[2] - trim.height) < 0.6
    assert abs(bled[1] - trim.width - 2 * BLEED_PT) < 0.6 and abs(bled[2] - trim.height - 2 * BLEED_PT) < 0.6
    pages, width, height = _size(files["cover-pdf?paper=cream"])
    spine = plain[0] * PAPER_MM["cream"] * 72 / 25.4
    assert pages == 1 and abs(width - (2 * trim.width + spine + 2 * BLEED_PT)) < 0.6
