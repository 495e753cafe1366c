import xml.etree.ElementTree as ET

import pytest

from buko.adapters.export.markup import label, markdown_to_xhtml, parse_fragment, typeset

HOSTILE = """Hello <script>alert('x')</script> world.

<div onclick="steal()">click me</div>

<img src=x onerror=alert(1)>

[run](javascript:alert(1)) and [away](https://evil.example/) and [note](#n1)

<a href="javascript:alert(2)">raw link</a>

<iframe src="https://evil.example"></iframe><style>body{display:none}</style>
"""


def tags(xhtml: str) -> list[ET.Element]:
    return list(parse_fragment(xhtml).iter())


def test_hostile_markdown_leaves_no_active_content():
    xhtml = markdown_to_xhtml(HOSTILE)
    elements = tags(xhtml)
    names = {el.tag for el in elements}
    assert names <= {"div", "p", "a", "em", "strong"}
    for el in elements:
        assert not any(attr.startswith("on") for attr in el.attrib)
        assert el.get("href", "#").startswith("#")
    assert "<script" not in xhtml and "<iframe" not in xhtml and "<img" not in xhtml
    assert "javascript:" not in "".join(el.get("href", "") for el in elements)


def test_raw_html_is_shown_as_text_not_markup():
    xhtml = markdown_to_xhtml("A <b>bold</b> claim & <em>more</em>")
    assert parse_fragment(xhtml).find(".//b") is None
    assert "&lt;b&gt;bold&lt;/b&gt;" in xhtml and "&amp;" in xhtml


def test_output_is_well_formed_xhtml_with_self_closed_void_tags():
    md = "Line one  \nline two&nbsp;here\n\n***\n\n> quoted\n\n- a\n- b\n\n1. x\n2. y\n\n```\ncode <x>\n```\n"
    xhtml = markdown_to_xhtml(md)
    root = parse_fragment(xhtml)
    assert "<br/>" in xhtml and '<hr class="scene-break"/>' in xhtml
    assert "&nbsp;" not in xhtml
    assert [el.tag for el in root] == ["p", "hr", "blockquote", "ul", "ol", "pre"]


@pytest.mark.parametrize("line", ["***", "* * *", "#", "⁂"])
def test_scene_break_lines_become_one_ornament(line):
    root = parse_fragment(markdown_to_xhtml(f"Before.\n\n{line}\n\nAfter."))
    assert [el.tag for el in root] == ["p", "hr", "p"]
    assert root[1].get("class") == "scene-break"


def test_headings_stay_below_the_chapter_heading_and_repeated_title_is_dropped():
    root = parse_fragment(markdown_to_xhtml("# The Storm\n\nText.\n\n# Part\n\n##### Deep", title="The Storm"))
    assert [el.tag for el in root] == ["p", "h2", "h4"]
    for heading in ("## Chapter 3: The Storm", "# Capítulo IV. The storm", "# Chapter 2"):
        assert markdown_to_xhtml(f"{heading}\n\nText.", title="The Storm") == "<p>Text.</p>\n"
    assert "<h2>Storms</h2>" in markdown_to_xhtml("# Storms\n\nText.", title="The Storm")


def test_footnotes_get_ids_unique_per_chapter():
    xhtml = markdown_to_xhtml("Claim.[^1] Again.[^1]\n\n[^1]: Source.", doc_id="c3")
    ids = [el.get("id") for el in parse_fragment(xhtml).iter() if el.get("id")]
    assert ids and all("c3" in i and ":" not in i for i in ids)
    assert len(ids) == len(set(ids))


def test_typographer_uses_language_quotes():
    assert "“Hi,” she said — or rather…" in markdown_to_xhtml('"Hi," she said --- or rather...')
    assert "«Hola»" in markdown_to_xhtml('"Hola" ¿qué? ¡sí!', language="es-AR")
    assert label("es", "contents") == "Índice" and label("xx", "chapter") == "Chapter"


def test_empty_markdown_is_an_empty_fragment():
    assert markdown_to_xhtml("") == ""
    assert markdown_to_xhtml(None) == ""  # type: ignore[arg-type]


def test_spanish_dialogue_dashes_become_rayas_outside_code():
    source = "--¿Vienes? --preguntó--. Sí.\n\n-Hola -dijo.\n\nDe 1990--2000, a -5 grados.\n\n    --flag"
    xhtml = markdown_to_xhtml(source, language="es")
    assert "<p>—¿Vienes? —preguntó—. Sí.</p>" in xhtml and "<p>—Hola —dijo.</p>" in xhtml
    assert "1990–2000, a -5 grados" in xhtml and "--flag" in xhtml
    assert "<p>—Hi</p>" in markdown_to_xhtml("--Hi", language="en")  # English `--` is an em dash


def test_titles_are_typeset_like_the_text():
    assert typeset("The Keeper's \"Light\" -- and 'more'...") == "The Keeper’s “Light” — and ‘more’…"
    assert typeset('Dijo "hola" --- y se fue', "es") == "Dijo «hola» — y se fue"


def test_pdf_footnotes_move_to_their_call_for_css_float():
    from buko.adapters.export.pdf import footnotes_in_place

    xhtml = markdown_to_xhtml("Claim.[^a] Other.[^b]\n\n[^a]: Source *one*.\n[^b]: Two.", doc_id="c1")
    root = parse_fragment(footnotes_in_place(xhtml))
    notes = [el for el in root.iter("span") if el.get("class") == "footnote"]
    assert ["".join(n.itertext()) for n in notes] == ["Source one.", "Two."]
    assert root.find(".//section") is None and root.find(".//sup") is None and "↩" not in footnotes_in_place(xhtml)
