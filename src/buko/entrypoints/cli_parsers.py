"""The author's verbs on the command line: plan, show, edit, revise, approve, write, resume, export,
regenerate, cancel, delete and books. Every value is checked by its type here (exit code 2)."""
from __future__ import annotations

import argparse
from pathlib import Path

from buko.application.books.print_edition import DEFAULT_PAPER, PAPERS
from buko.domain.books.book import MAX_LANES
from buko.domain.books.brief import LANGUAGES, MAX_CHAPTERS, MAX_WORDS, MIN_CHAPTERS, MIN_WORDS, TRIM_SIZES
from buko.entrypoints import cli_args as a

EXIT_CODES = """exit codes:
  0    done
  1    refused or failed: no such book, not in a state for that, the book failed or stalled
  2    bad command line or configuration: nothing was done
  3    a service the command needs is not configured (e.g. `buko worker` without REDIS_URL)
  130  interrupted (Ctrl-C); `buko resume ID` continues the book

Books and settings live in BUKO_DATA_DIR (default: the user's data folder, whatever the current
folder is). `buko books` lists them; every ID may be shortened to a unique prefix."""


class _Help(argparse.RawDescriptionHelpFormatter):
    """Defaults shown after each option that has one, and descriptions kept as written."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _verb(commands, name: str, summary: str, description: str = ""):
    return commands.add_parser(name, help=summary, description=description or summary, formatter_class=_Help)


def _out_options(parser, what: str = "the exported files") -> None:
    parser.add_argument("--formats", type=a.formats, default=",".join(a.DEFAULT_FORMATS), metavar="LIST",
                        help=f"comma-separated, any of {','.join(a.FORMATS)}")
    parser.add_argument("--out", type=Path, default=a.DEFAULT_OUT, metavar="DIR",
                        help=f"folder for {what} (made if missing; another book's files are never overwritten)")
    parser.add_argument("--print", action="store_true", dest="print_edition",
                        help="the printer's files too, beside the reading PDF: NAME-print.pdf (interior, no cover "
                             "page) and NAME-cover.pdf (back, spine and front, spine sized from the page count)")
    parser.add_argument("--bleed", action="store_true",
                        help="with --print: 3 mm bleed and crop marks on the interior (the cover always has them)")
    parser.add_argument("--paper", choices=PAPERS, help=f"with --print: the stock the spine is sized for "
                                                        f"(default: {DEFAULT_PAPER})")


def _writing_options(parser) -> None:
    parser.add_argument("--parallel", type=a.lanes, default=1, metavar="N",
                        help=f"chapters written at once, 1 to {MAX_LANES} (1 = strictly in order)")
    parser.add_argument("--quiet", action="store_true", help="no live progress display")


def _brief_options(parser, idea_optional: bool = False) -> None:
    parser.add_argument("idea", nargs="?" if idea_optional else None,
                        help="what the book is about, in quotes (at least 10 characters)")
    parser.add_argument("--chapters", type=a.chapters, default=6, metavar="N",
                        help=f"number of chapters, {MIN_CHAPTERS} to {MAX_CHAPTERS}")
    parser.add_argument("--words", type=a.words, default=12_000, metavar="N",
                        help=f"target length in words, {MIN_WORDS} to {MAX_WORDS}")
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the book")
    parser.add_argument("--genre", help="e.g. 'cookbook', 'fantasy novel' (default: non-fiction, in --lang)")
    parser.add_argument("--audience", help="who the book is for (default: general readers, in --lang)")
    parser.add_argument("--tone", help="how it should sound (default: clear and engaging, in --lang)")
    parser.add_argument("--author", help="name on the cover and title page (default: Anonymous, in --lang)")
    parser.add_argument("--trim-size", choices=TRIM_SIZES, default="A5", help="page size of the PDF and DOCX")
    parser.add_argument("--style-sample", type=Path, metavar="FILE",
                        help="a UTF-8 text file in your own style (up to 8000 characters)")


def _book_id(parser) -> None:
    parser.add_argument("book_id", type=a.book_ref, metavar="ID", help="book id, or a unique prefix of it")


def add_author_parsers(commands) -> None:
    write = _verb(commands, "write", "plan, approve, write and export a whole book in one go",
                  "Plan the book, approve its architecture, write it and export it: one command, no questions.\n"
                  "--review stops after planning to show the architecture and ask: approve, edit, revise or stop.\n"
                  "--book ID writes a book you planned (and maybe edited) with `buko plan`.")
    _brief_options(write, idea_optional=True)
    write.add_argument("--book", type=a.book_ref, metavar="ID", help="write this planned or approved book instead")
    write.add_argument("--review", action="store_true",
                       help="after planning, show the architecture and ask [y]es / [e]dit / [r]evise / [n]o")
    _out_options(write)
    _writing_options(write)

    plan = _verb(commands, "plan", "plan a book and stop: review its architecture before anything is written",
                 "Plan the book and print its architecture. Then: `buko edit ID`, `buko revise ID --notes …`,\n"
                 "`buko approve ID` and `buko write --book ID`.")
    _brief_options(plan)

    show = _verb(commands, "show", "a book's architecture, status, progress and files")
    _book_id(show)
    show.add_argument("--json", action="store_true", help="machine-readable output")

    edit = _verb(commands, "edit", "edit a planned book's architecture in $EDITOR",
                 "Opens the architecture in $VISUAL or $EDITOR as YAML (or TOML), with comments.\n"
                 "On save it is checked with the same rules as an approval; when something is wrong the\n"
                 "editor opens again with the problems listed at the top. Save an empty file, or quit\n"
                 "without saving, to give up (nothing is changed).")
    _book_id(edit)
    edit.add_argument("--format", choices=("yaml", "toml"), default="yaml", help="file format to edit in")

    revise = _verb(commands, "revise", "ask the model to revise a planned book's architecture")
    _book_id(revise)
    revise.add_argument("--notes", required=True, help="what to change, in your words (up to 4000 characters)")

    approve = _verb(commands, "approve", "approve a planned book's architecture (then `buko write --book ID`)")
    _book_id(approve)

    resume = _verb(commands, "resume", "continue a failed or interrupted book, then export it",
                   "Picks the book up where it stopped (planning again, or from the first unfinished chunk;\n"
                   "finished chunks are never written twice) and exports it. A written book is only exported.")
    _book_id(resume)
    _out_options(resume)
    _writing_options(resume)

    export = _verb(commands, "export", "export a written book to files")
    _book_id(export)
    _out_options(export)

    regenerate = _verb(commands, "regenerate", "write one chunk of a written book again",
                       "The chunk is written again with the same context; the others keep their text.\n"
                       "`buko show ID` lists the chunks; export again afterwards.")
    _book_id(regenerate)
    regenerate.add_argument("--chunk", type=a.bounded(0, 100_000), required=True, metavar="N",
                            help="the chunk's number as `buko show` lists it")
    regenerate.add_argument("--quiet", action="store_true", help="no live progress display")

    cancel = _verb(commands, "cancel", "stop a book for good (it can then be deleted)")
    _book_id(cancel)

    delete = _verb(commands, "delete", "delete a book and Buko's copies of its exports",
                   "Files you exported with --out stay where they are.")
    _book_id(delete)
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    books = _verb(commands, "books", "list your books (full ids, titles, state and where the files are)")
    books.add_argument("--json", action="store_true", help="machine-readable output")

