"""Every interface string is in the catalogs, and the Spanish one translates each of them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

HTTP = Path(__file__).resolve().parents[2] / "src" / "buko" / "entrypoints" / "http"


def _ids(path: Path) -> set:
    with open(path, "rb") as f:
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f) if m.id}


def test_the_catalogs_hold_every_string_of_the_pages_and_templates(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "i18n/babel.cfg", "-k", "_",
                    "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy", "--no-location", "--omit-header",
                    "-o", str(fresh), "."], cwd=HTTP, check=True, capture_output=True)
    extracted = _ids(fresh)
    assert len(extracted) > 300
    for lang in ("es", "en"):
        missing = extracted - _ids(HTTP / "i18n" / lang / "LC_MESSAGES" / "messages.po")
        assert not missing, f"{lang} catalog lacks {sorted(map(str, missing))[:10]}: run pybabel update"


def test_spanish_translates_every_string_and_keeps_its_placeholders():
    import re

    with open(HTTP / "i18n" / "es" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"untranslated: {ids[0]!r}"
        names = lambda text: sorted(re.findall(r"%\((\w+)\)s|\{(\w+)\}", text))  # noqa: E731
        assert names(ids[-1]) == names(strings[-1]), f"placeholders differ in {ids[0]!r}"


def test_the_compiled_catalogs_are_current():
    from babel.support import Translations

    spanish = Translations.load(str(HTTP / "i18n"), ["es"], domain="messages")
    assert spanish.gettext("My books") == "Mis libros"
    assert spanish.ngettext("%(num)s user", "%(num)s users", 2) == "%(num)s usuarios"
