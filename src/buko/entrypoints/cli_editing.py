"""`buko edit`: the architecture in $EDITOR as YAML (or TOML) with comments, checked on save with the
domain's own rules (`Architecture.problems`), re-opened with the problems listed until it is valid
or the author gives up (an empty file, or no change)."""
from __future__ import annotations

import asyncio
import io
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from buko.application.commands import EditArchitecture
from buko.bootstrap import Container
from buko.domain.books.architecture import MIN_SECTION_WORDS, Architecture
from buko.domain.books.book import Book, BookStatus
from buko.domain.errors import Conflict, InvalidArchitecture, InvalidTransition
from buko.entrypoints.cli_args import UsageError

PROBLEMS_MARK = "# PROBLEMS"
EDITABLE = ("title", "subtitle", "synopsis", "audience", "tone", "style_guide")


class EditAbandoned(Exception):
    """The author left the editor without a change (or emptied the file)."""


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else a common editor found on the PATH."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        return shlex.split(chosen)
    for fallback in ("nano", "vim", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise UsageError("no editor: set EDITOR (e.g. `export EDITOR=nano`)")


def _header(book: Book) -> list[str]:
    arch, target = book.architecture, book.brief.target_words
    return [
        f"Architecture of book {book.id} (version {book.architecture_version}).",
        "Edit, save and close the editor. Quit without saving, or empty the file, to keep it as it was.",
        f"Rules: chapters numbered 1, 2, 3…; no empty or placeholder titles (TBD, 'Chapter 1');",
        f"each section at least {MIN_SECTION_WORDS} words; the budgets add up to {target} words ±10%",
        f"(now {arch.words}). Reorder chapters by moving them and renumbering.",
    ]


# -- YAML ------------------------------------------------------------------
def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def to_yaml(book: Book) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    def text(value: str):
        return LiteralScalarString(value) if "\n" in value else value

    arch = book.architecture
    root = CommentedMap((name, text(getattr(arch, name))) for name in EDITABLE)
    root["bible"] = CommentedMap((k, CommentedSeq(getattr(arch.bible, k))) for k in ("characters", "key_terms", "facts"))
    root.yaml_set_comment_before_after_key("bible", before="What must stay consistent across the book (lists of text).")
    chapters = CommentedSeq()
    for chapter in arch.chapters:
        sections = CommentedSeq()
        for section in chapter.sections:
            sections.append(CommentedMap(title=section.title, summary=text(section.summary), words=section.words))
        item = CommentedMap(number=chapter.number, title=chapter.title, summary=text(chapter.summary))
        item["sections"] = sections
        item.yaml_add_eol_comment(f"chapter {chapter.number}: {chapter.words} words", "sections")
        chapters.append(item)
    root["chapters"] = chapters
    root.yaml_set_start_comment("\n".join(_header(book)))
    out = io.StringIO()
    _yaml().dump(root, out)
    return out.getvalue()


def from_yaml(text: str) -> object:
    from ruamel.yaml.error import YAMLError

    try:
        return _plain(_yaml().load(text))
    except YAMLError as broken:
        raise InvalidArchitecture([f"the file is not valid YAML: {' '.join(str(broken).split())}"]) from None


# -- TOML ------------------------------------------------------------------
def to_toml(book: Book) -> str:
    import tomlkit

    arch = book.architecture
    doc = tomlkit.document()
    for line in _header(book):
        doc.add(tomlkit.comment(line))
    for name in EDITABLE:
        value = getattr(arch, name)
        doc.add(name, tomlkit.string(value, multiline="\n" in value))
    bible = tomlkit.table()
    for key in ("characters", "key_terms", "facts"):
        bible.add(key, list(getattr(arch.bible, key)))
    doc.add("bible", bible)
    chapters = tomlkit.aot()
    for chapter in arch.chapters:
        table = tomlkit.table()
        table.add(tomlkit.comment(f"chapter {chapter.number}: {chapter.words} words"))
        table.add("number", chapter.number)
        table.add("title", chapter.title)
        table.add("summary", chapter.summary)
        sections = tomlkit.aot()
        for section in chapter.sections:
            sections.append(tomlkit.item({"title": section.title, "summary": section.summary, "words": section.words}))
        table.add("sections", sections)
        chapters.append(table)
    doc.add("chapters", chapters)
    return tomlkit.dumps(doc)


def from_toml(text: str) -> object:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        return _plain(tomlkit.parse(text).unwrap())
    except TOMLKitError as broken:
        raise InvalidArchitecture([f"the file is not valid TOML: {broken}"]) from None


FORMATS = {"yaml": (to_yaml, from_yaml), "toml": (to_toml, from_toml)}


def _plain(value):
    """ruamel/tomlkit containers as plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- checking ----------------------------------------------------------------
def _shape_problems(data: object) -> list[str]:
    """What keeps the document from being read as an architecture at all, said where it is."""
    if not isinstance(data, dict):
        return ["the file must hold the architecture's fields (title, chapters, …), as it was given"]
    found = [f"{name} must be text" for name in EDITABLE if name in data and not isinstance(data[name], str)]
    if not isinstance(data.get("title"), str):
        found.append("title is missing")
    bible = data.get("bible", {})
    if not isinstance(bible, dict) or any(not isinstance(bible.get(k, []), list) for k in bible):
        found.append("bible must have lists: characters, key_terms, facts")
    chapters = data.get("chapters")
    if not isinstance(chapters, list):
        return [*found, "chapters must be a list of chapters"]
    for place, chapter in enumerate(chapters, start=1):
        where = f"chapter #{place} in the file"
        if not isinstance(chapter, dict):
            found.append(f"{where} must have number, title, summary and sections")
            continue
        if not isinstance(chapter.get("number"), int) or isinstance(chapter.get("number"), bool):
            found.append(f"{where}: number must be a whole number")
        if not isinstance(chapter.get("title"), str):
            found.append(f"{where}: title is missing")
        sections = chapter.get("sections")
        if not isinstance(sections, list):
            found.append(f"{where}: sections must be a list")
            continue
        for s_no, section in enumerate(sections, start=1):
            if not isinstance(section, dict) or not isinstance(section.get("title"), str):
                found.append(f"{where}, section {s_no}: title is missing")
            elif not isinstance(section.get("words"), int) or isinstance(section.get("words"), bool):
                found.append(f"{where}, section {s_no}: words must be a whole number")
    return found


def parse(text: str, fmt: str, book: Book) -> Architecture:
    """The edited architecture, or InvalidArchitecture listing every problem (the domain's included)."""
    data = FORMATS[fmt][1](text)
    shape = _shape_problems(data)
    if shape:
        raise InvalidArchitecture(shape)
    data["language"] = book.architecture.language  # the book's language is the brief's, not edited here
    architecture = Architecture.from_dict(data)
    architecture.validate(book.brief.target_words)
    return architecture


def _without_problems(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(PROBLEMS_MARK):
        while lines and lines[0].startswith("#"):
            lines.pop(0)
    return "".join(lines)


def _with_problems(text: str, problems: list[str]) -> str:
    block = [f"{PROBLEMS_MARK}: fix them and save, or empty the file to give up."]
    block += [f"#   - {problem}" for problem in problems]
    return "\n".join(block) + "\n" + _without_problems(text)


def open_editor(path: Path) -> None:
    command = editor_command()
    try:
        finished = subprocess.run([*command, str(path)])
    except FileNotFoundError:
        raise UsageError(f"the editor {command[0]!r} was not found: set EDITOR to one that is installed") from None
    if finished.returncode != 0:
        raise EditAbandoned(f"the editor exited with status {finished.returncode}")


def edit_loop(book: Book, fmt: str, console: Console, edit=open_editor) -> Architecture:
    """Open the editor until the architecture is valid; EditAbandoned when the author gives up."""
    shown = FORMATS[fmt][0](book)
    with tempfile.TemporaryDirectory(prefix="buko-edit-") as folder:
        path = Path(folder) / f"architecture-{book.id[:8]}.{fmt}"
        while True:
            path.write_text(shown, encoding="utf-8")
            edit(path)
            saved = path.read_text(encoding="utf-8")
            if not saved.strip() or saved == shown:
                raise EditAbandoned("no change was saved")
            try:
                return parse(saved, fmt, book)
            except InvalidArchitecture as wrong:
                console.print(f"[red]The architecture has {len(wrong.problems)} problem(s); reopening the editor:[/]")
                for problem in wrong.problems:
                    console.print(f"  - {problem}", soft_wrap=True)
                shown = _with_problems(saved, wrong.problems)


async def edit(container: Container, console: Console, book_id: str, fmt: str) -> bool:
    """True when an edit was saved; False when the author gave up (nothing changed)."""
    book = await container.use_cases.queries().book(book_id)
    if book.status is not BookStatus.PLANNED:  # said before the editor opens, so no edit is typed in vain
        raise InvalidTransition(f"book {book.id} is {book.status.value}: only a planned book's architecture "
                                "can be edited")
    try:
        architecture = await asyncio.to_thread(edit_loop, book, fmt, console)
    except EditAbandoned as gave_up:
        console.print(f"Nothing changed ({gave_up}).")
        return False
    try:
        version = await container.use_cases.edit_architecture()(
            EditArchitecture(book.id, architecture, expected_version=book.architecture_version))
    except Conflict as changed:
        raise Conflict(f"{changed}; your edit was not saved: run `buko edit {book.id[:8]}` again") from None
    console.print(f"Saved: architecture version {version}.")
    return True
