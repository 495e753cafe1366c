"""Ace by DAISY (tools/ace, installed by scripts/setup) on Debian's chromium: the EPUB of the Spanish fixture
and of the hostile book have no accessibility violation and carry the EPUB Accessibility metadata."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.registry import default_exporters
from tests.fixtures.export_checks import REPO, need
from tests.fixtures.hostile_book import hostile_book
from tests.fixtures.spanish_book import spanish_book

ACE = REPO / "tools" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"
CHROMIUM = "/usr/bin/chromium"
METADATA = {"schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
            "schema:accessibilityHazard", "schema:accessibilitySummary", "dcterms:conformsTo"}


def ace(epub: Path, out: Path) -> dict:
    need(str(ACE))
    need(CHROMIUM)
    result = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(out), str(epub)],
                            env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM}, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["spanish", "hostile"])
def test_ace_finds_no_violation_and_the_accessibility_metadata(name, tmp_path):
    book = spanish_book(words_per_chapter=400, chapters=4) if name == "spanish" else hostile_book()
    epub = tmp_path / "book.epub"
    epub.write_bytes(default_exporters()["epub"].render(book, PillowCoverRenderer().render(book)))
    report = ace(epub, tmp_path / "ace")
    violations = [(a["earl:testSubject"]["url"], v["earl:test"]["dct:title"], v["earl:test"]["earl:impact"])
                  for a in report["assertions"] for v in a.get("assertions", [])]
    print(f"\nAce {report['earl:assertedBy']['doap:release']['doap:revision']} on the {name} EPUB: "
          f"{report['earl:result']['earl:outcome']}, {len(report['assertions'])} documents, "
          f"{len(violations)} violations; metadata present: {', '.join(report['a11y-metadata']['present'])}")
    assert violations == [] and report["earl:result"]["earl:outcome"] == "pass"
    assert METADATA <= set(report["a11y-metadata"]["present"]) and report["a11y-metadata"]["empty"] == []
    documents = {a["earl:testSubject"]["url"].rsplit("/", 1)[-1] for a in report["assertions"]}
    assert {"cover.xhtml", "title.xhtml", "nav.xhtml", "chapter-001.xhtml", "content.opf"} <= documents
