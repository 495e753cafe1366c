import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from buko.domain.books import events
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.brief import Brief
from buko.domain.books.chunks import ChunkStatus
from buko.domain.books.usage import Usage
from buko.domain.errors import ChunkBusy, InvalidArchitecture, InvalidTransition
from tests.unit.fakes import sample_architecture

NOW = datetime(2026, 11, 25, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def new_book(chapters=3, target=3000) -> Book:
    return Book(id="b1", owner_id="u1", brief=Brief(idea="A book about gardens", target_words=target, chapter_count=chapters), created_at=NOW)


def planned_book(chapters=3, sections=2, words=500) -> Book:
    book = new_book(chapters, chapters * sections * words)
    book.request_plan()
    book.architecture_ready(sample_architecture(chapters, words, sections), Usage(input_tokens=10, calls=1), "m", False)
    return book


def writing_book(lanes=1, chapters=3, ceiling=600) -> tuple[Book, list[int]]:
    book = planned_book(chapters)
    book.approve(ceiling)
    return book, book.start_writing(lanes)


def write_all(book: Book, queued: list[int]) -> list[int]:
    order = []
    while queued:
        index = queued.pop(0)
        assert book.claim_chunk(index, "w", NOW, LEASE)
        order.append(index)
        queued.extend(book.complete_chunk(index, f"text {index}", Usage(output_tokens=5, calls=1)))
    return order


def test_happy_path_through_every_state():
    book = new_book()
    assert book.status is BookStatus.DRAFT
    book.request_plan()
    assert book.status is BookStatus.PLANNING
    book.architecture_ready(sample_architecture(), Usage(input_tokens=7, calls=1), "model-x", False)
    assert (book.status, book.writer) == (BookStatus.PLANNED, "model-x")
    book.approve(600)
    assert book.status is BookStatus.APPROVED and len(book.chunks) == 6
    queued = book.start_writing(1)
    assert book.status is BookStatus.WRITING and queued == [0]
    assert write_all(book, queued) == [0, 1, 2, 3, 4, 5]
    assert book.status is BookStatus.WRITTEN
    assert book.usage == Usage(input_tokens=7, output_tokens=30, calls=7)
    kinds = [type(e) for e in book.events]
    assert kinds[0] is events.PlanningRequested and kinds[-1] is events.BookWritten
    assert kinds.count(events.ChunkWritten) == 6


def test_architecture_must_fit_the_brief():
    book = new_book(target=50_000)
    book.request_plan()
    broken = dataclasses.replace(sample_architecture(), title="TBD")  # budgets off and a placeholder
    with pytest.raises(InvalidArchitecture):
        book.architecture_ready(broken, Usage(), "m", False)
    assert book.status is BookStatus.PLANNING


def test_budgets_that_only_miss_the_target_are_scaled_and_the_book_says_so():
    book = new_book(target=50_000)
    book.request_plan()
    book.architecture_ready(sample_architecture(), Usage(), "m", False)
    assert book.status is BookStatus.PLANNED and book.architecture.words == 50_000
    assert "3,000 words" in book.planning_note and "50,000" in book.planning_note


def test_revision_goes_back_to_planning_with_the_notes():
    book = planned_book()
    book.request_revision("More on compost")
    assert book.status is BookStatus.PLANNING
    assert book.events[-1] == events.PlanningRequested("b1", notes="More on compost")
    with pytest.raises(InvalidTransition):
        planned_book().request_revision("   ")
    with pytest.raises(InvalidTransition, match="at most 4000"):
        planned_book().request_revision("x" * 4001)


def test_edit_keeps_it_planned_and_validates():
    book = planned_book()
    data = book.architecture.as_dict()
    data["chapters"][0]["title"] = "Better Soil"
    from buko.domain.books.architecture import Architecture

    book.edit(Architecture.from_dict(data))
    assert book.status is BookStatus.PLANNED and book.architecture.chapters[0].title == "Better Soil"
    data["chapters"][0]["title"] = "TBD"
    with pytest.raises(InvalidArchitecture):
        book.edit(Architecture.from_dict(data))
    assert book.architecture.chapters[0].title == "Better Soil"


@pytest.mark.parametrize(
    "action",
    [
        lambda b: b.approve(),
        lambda b: b.start_writing(),
        lambda b: b.edit(sample_architecture()),
        lambda b: b.request_revision("x"),
        lambda b: b.architecture_ready(sample_architecture(), Usage(), "m", False),
        lambda b: b.claim_chunk(0, "w", NOW, LEASE),
        lambda b: b.fail("x"),
    ],
)
def test_illegal_transitions_from_draft_raise(action):
    with pytest.raises(InvalidTransition):
        action(new_book())


def test_cannot_plan_twice_or_approve_while_writing():
    book, _ = writing_book()
    with pytest.raises(InvalidTransition):
        book.request_plan()
    with pytest.raises(InvalidTransition):
        book.approve()


def test_written_and_cancelled_are_final():
    book, queued = writing_book()
    write_all(book, queued)
    for action in (book.cancel, lambda: book.fail("x"), book.request_plan, lambda: book.start_writing()):
        with pytest.raises(InvalidTransition):
            action()
    cancelled = planned_book()
    cancelled.cancel()
    assert cancelled.status is BookStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        cancelled.approve()


def test_a_finished_chunk_is_never_rewritten():
    book, queued = writing_book()
    book.claim_chunk(0, "w", NOW, LEASE)
    book.complete_chunk(0, "first text", Usage(calls=1))
    assert book.complete_chunk(0, "second text", Usage(calls=1)) == []
    assert book.chunks[0].text == "first text" and book.chunks[0].usage.calls == 1
    assert book.claim_chunk(0, "other", NOW, LEASE) is False


def test_a_live_lease_blocks_another_worker_until_it_expires():
    book, _ = writing_book()
    assert book.claim_chunk(0, "w1", NOW, LEASE)
    with pytest.raises(ChunkBusy):
        book.claim_chunk(0, "w2", NOW + timedelta(minutes=5), LEASE)
    assert book.claim_chunk(0, "w2", NOW + timedelta(minutes=11), LEASE)
    assert book.chunks[0].lease_owner == "w2" and book.chunks[0].attempts == 2


def test_parallel_lanes_take_whole_chapters_and_keep_order_within_each():
    book, queued = writing_book(lanes=2, chapters=3)
    assert [book.chunks[i].chapter_number for i in queued] == [1, 2]
    order = write_all(book, queued)
    assert sorted(order) == list(range(6))
    for chapter in (1, 2, 3):
        indexes = [i for i in order if book.chunks[i].chapter_number == chapter]
        assert indexes == sorted(indexes)
    assert book.status is BookStatus.WRITTEN


def test_more_lanes_than_chapters_start_only_as_many_as_there_are():
    book, queued = writing_book(lanes=8, chapters=3)
    assert len(queued) == 3
    with pytest.raises(InvalidTransition):
        writing_book(lanes=9)


def test_failure_keeps_finished_chunks_and_resume_starts_at_the_first_unfinished():
    book, queued = writing_book()
    book.claim_chunk(0, "w", NOW, LEASE)
    book.complete_chunk(0, "done", Usage(calls=1))
    book.claim_chunk(1, "w", NOW, LEASE)
    assert not book.release_chunk(1, "someone else", Usage(input_tokens=99))
    assert book.release_chunk(1, "w", Usage(input_tokens=3, calls=1))
    book.fail("model down")
    assert (book.status, book.failure) == (BookStatus.FAILED, "model down")
    assert [c.status for c in book.chunks[:2]] == [ChunkStatus.DONE, ChunkStatus.PENDING]
    assert book.start_writing(1) == [1]
    assert book.failure == "" and book.chunks[1].usage.input_tokens == 3
    write_all(book, [1])
    assert book.status is BookStatus.WRITTEN and book.chunks[0].text == "done"


def test_a_chunk_finished_after_another_lane_failed_the_book_is_kept():
    book, queued = writing_book(lanes=2)
    book.claim_chunk(0, "w1", NOW, LEASE)
    book.claim_chunk(2, "w2", NOW, LEASE)
    book.fail("lane 2 broke")
    assert book.complete_chunk(0, "kept", Usage(calls=1)) == []
    assert book.chunks[0].done and book.status is BookStatus.FAILED


def test_planning_failure_can_be_planned_again():
    book = new_book()
    book.request_plan()
    book.fail("timeout")
    book.request_plan()
    assert book.status is BookStatus.PLANNING


def test_previous_tail_stays_within_the_chapter():
    book, queued = writing_book(chapters=2)
    write_all(book, queued)
    assert book.previous_tail(0) == ""
    assert book.previous_tail(1) == "text 0"
    assert book.previous_tail(2) == ""  # chunk 2 opens chapter 2
    assert book.chapter_text(1) == "text 0\n\ntext 1"


def test_only_the_holder_renews_or_ends_a_lease():
    book, _ = writing_book()
    book.claim_chunk(0, "w1", NOW, LEASE)
    later = NOW + timedelta(minutes=8)
    assert book.renew_lease(0, "w1", later, LEASE) and book.chunks[0].lease_until == later + LEASE
    assert not book.renew_lease(0, "w2", later, LEASE)
    assert not book.end_lease(0, "w2")
    assert book.end_lease(0, "w1")
    assert book.claim_chunk(0, "w2", later, LEASE)  # free at once
    book.complete_chunk(0, "t", Usage())
    assert not book.renew_lease(0, "w2", later, LEASE)


def test_the_summary_before_a_chunk_never_comes_from_further_on():
    book, queued = writing_book(lanes=2, chapters=3)  # chunks 0-1 chapter 1, 2-3 chapter 2, 4-5 chapter 3
    for index in (2, 3, 0):
        book.claim_chunk(index, "w", NOW, LEASE)
        book.complete_chunk(index, f"text {index}", Usage(), summary=f"up to {index}")
    assert book.summary_before(1) == "up to 0"  # not chapter 2's, though it was written later
    assert book.summary_before(4) == "up to 3"
    assert book.summary_before(0) == ""


def test_revision_notes_stay_with_the_book_until_the_new_architecture_arrives():
    book = planned_book()
    book.request_revision("More on compost")
    assert book.revision_notes == "More on compost"
    book.fail("model down")
    book.request_plan()  # planning again keeps asking for the same revision
    assert book.events[-1] == events.PlanningRequested("b1", notes="More on compost")
    book.architecture_ready(sample_architecture(), Usage(), "m", False)
    assert book.revision_notes == ""


def test_resuming_a_writing_book_whose_tasks_were_lost():
    # With `now`, a chunk under a live lease stays with its worker: chapters 1 and 3 restart.
    book2, _ = writing_book(lanes=2)
    book2.claim_chunk(0, "dead", NOW - 2 * LEASE, LEASE)  # its lease ran out
    book2.claim_chunk(2, "alive", NOW, LEASE)
    queued = book2.start_writing(2, now=NOW + timedelta(minutes=1))
    assert book2.chunks[2].lease_owner == "alive" and 2 not in queued
    assert queued == [0, 4]
    # Without `now` (one process owns the book) every unfinished chunk is taken back.
    book3, _ = writing_book(lanes=2)
    book3.claim_chunk(0, "gone", NOW, LEASE)
    assert book3.start_writing(1) == [0] and book3.chunks[0].lease_owner == ""


def test_a_failing_lane_leaves_the_other_lanes_lease_alone():
    book, _ = writing_book(lanes=2)
    book.claim_chunk(0, "w1", NOW, LEASE)
    book.claim_chunk(2, "w2", NOW, LEASE)
    book.release_chunk(2, "w2")
    book.fail("lane 2 broke")
    assert book.chunks[0].lease_owner == "w1" and book.chunks[0].status is ChunkStatus.WRITING
    assert book.start_writing(2, now=NOW) == [2, 4]  # chapter 1 stays with w1


def test_a_lost_planning_task_can_be_taken_over():
    book = new_book()
    book.request_plan()
    with pytest.raises(InvalidTransition):
        book.request_plan()
    book.request_plan(takeover=True)
    assert book.status is BookStatus.PLANNING


def test_a_failed_revision_keeps_the_architecture_it_revised():
    book = planned_book()
    before = book.architecture
    book.request_revision("More on compost")
    book.planning_failed("model gave placeholders")
    assert (book.status, book.architecture, book.failure) == (BookStatus.PLANNED, before, "model gave placeholders")
    assert book.events[-1] == events.RevisionFailed("b1", "model gave placeholders")
    book.approve(600)
    fresh = new_book()
    fresh.request_plan()
    fresh.planning_failed("timeout")
    assert fresh.status is BookStatus.FAILED
