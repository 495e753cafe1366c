"""The stream filters: the writer's <summary> block is stripped, only whole sentences are released."""
from buko.adapters.llm.claude.textstream import SentenceGate, SummaryFilter, trim_to_sentence


def feed_all(f: SummaryFilter, pieces: list[str]) -> str:
    return "".join(f.feed(p) for p in pieces) + f.finish()


def test_summary_block_is_removed_even_when_split_across_deltas():
    text = "The map was old. It showed the coast.\n\n<summary>Marta found the map. The coast drowned.</summary>"
    for size in (1, 2, 3, 5, 9, 100):
        f = SummaryFilter()
        visible = feed_all(f, [text[i:i + size] for i in range(0, len(text), size)])
        assert visible == "The map was old. It showed the coast.\n\n"
        assert f.summary == "Marta found the map. The coast drowned." and f.closed


def test_text_that_only_looks_like_the_tag_is_released():
    f = SummaryFilter()
    assert f.feed("a < b and <sum") == "a < b and "
    assert f.feed("mer days") == "<summer days"
    assert f.finish() == "" and f.summary == "" and not f.closed


def test_unclosed_summary_is_not_closed():
    f = SummaryFilter()
    assert feed_all(f, ["Done.", " <summary>Half a sum"]) == "Done. "
    assert f.inside and not f.closed


def test_gate_releases_whole_sentences_and_lines_only():
    gate = SentenceGate()
    assert gate.feed("## The Harbor\n\nShe walked") == "## The Harbor\n\n"
    assert gate.feed(" home. Then she") == "She walked home."
    assert gate.feed(" slept") == ""
    assert gate.cut() == ""  # the fragment is dropped
    assert gate.feed("“Go,” she said. He went.") == "“Go,” she said."
    assert gate.cut() == " He went."  # a final sentence with no space after it is still whole


def test_gate_flush_keeps_everything_at_a_natural_end():
    gate = SentenceGate()
    gate.feed("One. Two without a stop")
    assert gate.flush() == " Two without a stop"


def test_spanish_punctuation_and_quotes_end_sentences():
    assert trim_to_sentence("—Sigue caminando —dijo Marta. ¿Qué haría el barquero? Y lu") == \
        "—Sigue caminando —dijo Marta. ¿Qué haría el barquero?"
    assert trim_to_sentence("«Basta.» Luego") == "«Basta.»"
