"""The quality report of a written book, in the terminal."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from buko.domain.books.quality import QualityReport

FORMULA = {"flesch": "Flesch reading ease", "fernandez-huerta": "Fernández-Huerta readability"}


def show_quality(console: Console, report: QualityReport) -> None:
    """Overall figures, then one row per chapter."""
    console.print(
        f"Quality: length score {report.length_score:.1f} (sections {report.mean_section_length_score:.1f}), "
        f"outline adherence {report.outline_adherence:.1f} %, "
        f"{FORMULA.get(report.readability_formula, report.readability_formula)} {report.readability:.1f}; "
        f"repeated sentences {report.repeated_sentences_within_chapters} within chapters, "
        f"{report.repeated_sentences_across_chapters} across; 4-gram repetition "
        f"{report.ngram_repetition_within_chapters:.1%} within, {report.ngram_repetition_across_chapters:.1%} across."
    )
    if report.titles_missing_or_out_of_order:
        console.print("[yellow]Missing or out of order: " + "; ".join(report.titles_missing_or_out_of_order) + "[/]")
    table = Table("#", "chapter", "words", "target", "length", "repeats", "4-gram rep.", "shared", "readability")
    for c in report.chapters:
        table.add_row(str(c.number), c.title[:40], str(c.actual_words), str(c.target_words), f"{c.length_score:.1f}",
                      str(c.repeated_sentences), f"{c.ngram_repetition:.1%}", f"{c.ngram_overlap_with_others:.1%}",
                      f"{c.readability:.1f}")
    console.print(table)
