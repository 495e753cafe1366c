import pytest

from buko.application.commands import (
    ApproveArchitecture,
    CancelBook,
    CreateBook,
    EditArchitecture,
    PlanBook,
    RegisterUser,
    ReviseArchitecture,
    SendEmail,
    Subscribe,
    WriteBook,
    WriteChunk,
)
from buko.application.accounts.registration import EmailTaken
from buko.domain.books.architecture import Architecture
from buko.domain.books.book import BookStatus
from buko.domain.books.brief import Brief
from buko.domain.errors import InvalidTransition, NotFound, QuotaExceeded
from tests.unit.fakes import sample_architecture

BRIEF = Brief(idea="A practical book about small gardens", target_words=3000, chapter_count=3)


async def author(app, plan="author", email="ana@example.com"):
    user_id = await app.register_user(RegisterUser(email, "Ana"))
    if plan:
        await app.subscribe(Subscribe(user_id, plan))
    return user_id


async def planned(app):
    book_id = await app.create_book(CreateBook(await author(app), BRIEF))
    await app.run_queue()
    return book_id


def stored(app, book_id):
    return app.store.books[book_id]


async def test_create_book_stores_it_in_planning_and_queues_the_plan(app):
    book_id = await app.create_book(CreateBook(await author(app), BRIEF))
    assert stored(app, book_id).status is BookStatus.PLANNING
    assert app.queue.sent == [PlanBook(book_id)]
    assert PlanBook.queue == "architecture_high"


async def test_plan_book_stores_the_architecture_and_announces_it(app):
    book_id = await planned(app)
    book = stored(app, book_id)
    assert book.status is BookStatus.PLANNED
    assert book.architecture == app.llm.architecture
    assert book.planning_usage.input_tokens == 100 and book.writer == "fake-model"
    assert [e["type"] for _, e in app.live.published] == ["planning", "planned"]


async def test_plan_book_is_idempotent(app):
    book_id = await planned(app)
    await app.plan_book(PlanBook(book_id))
    assert len(app.llm.plan_requests) == 1


async def test_model_failure_while_planning_fails_the_book_resumably(app):
    app.llm.plan_failures = 1
    book_id = await planned(app)
    book = stored(app, book_id)
    assert book.status is BookStatus.FAILED and "model unavailable" in book.failure
    assert app.live.of_type("book_failed")


async def test_an_invalid_architecture_from_the_model_fails_with_the_reasons(app):
    data = sample_architecture().as_dict()
    data["chapters"][0]["title"] = "TBD"
    app.llm.architecture = Architecture.from_dict(data)
    book_id = await planned(app)
    assert "placeholder" in stored(app, book_id).failure


async def test_revise_sends_the_notes_and_current_architecture_to_the_model(app):
    book_id = await planned(app)
    await app.revise(ReviseArchitecture(book_id, "Add a chapter on compost"))
    assert stored(app, book_id).status is BookStatus.PLANNING
    await app.run_queue()
    request = app.llm.plan_requests[-1]
    assert request.notes == "Add a chapter on compost" and request.current == app.llm.architecture
    assert stored(app, book_id).status is BookStatus.PLANNED


async def test_edit_architecture_validates_and_saves(app):
    book_id = await planned(app)
    data = sample_architecture().as_dict()
    data["chapters"][2]["title"] = "Rain and Rivers"
    await app.edit(EditArchitecture(book_id, Architecture.from_dict(data)))
    assert stored(app, book_id).architecture.chapters[2].title == "Rain and Rivers"


async def test_approve_then_write_the_whole_book_in_order(app):
    book_id = await planned(app)
    assert await app.approve(ApproveArchitecture(book_id)) == 6  # 3 chapters x 2 sections of 500 at a 600 ceiling
    assert await app.write_book(WriteBook(book_id, lanes=1)) == [0]
    await app.run_queue()
    book = stored(app, book_id)
    assert book.status is BookStatus.WRITTEN
    assert [r.chunk.index for r in app.llm.write_requests] == [0, 1, 2, 3, 4, 5]
    assert book.words_written == 3000
    assert book.usage.calls == 7 and book.usage.cost_usd == pytest.approx(0.01 + 6 * 0.02)
    deltas = "".join(e["text"] for _, e in app.live.published if e["type"] == "delta" and e["index"] == 0)
    assert deltas.split() == book.chunks[0].text.split()


async def test_the_writing_context_carries_summary_and_tail(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    second = app.llm.write_requests[1]
    assert second.summary_so_far == "after chunk 0"
    assert second.previous_tail.split()[-1] == "w0"
    assert app.llm.write_requests[2].previous_tail == ""  # a new chapter


async def test_parallel_lanes_write_every_chunk_once(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    assert len(await app.write_book(WriteBook(book_id, lanes=3))) == 3
    await app.run_queue()
    assert sorted(r.chunk.index for r in app.llm.write_requests) == list(range(6))
    assert stored(app, book_id).status is BookStatus.WRITTEN


async def test_write_chunk_is_idempotent(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    app.queue.waiting.clear()
    assert await app.write_chunk(WriteChunk(book_id, 0)) is True
    text = stored(app, book_id).chunks[0].text
    assert await app.write_chunk(WriteChunk(book_id, 0)) is False
    assert len(app.llm.write_requests) == 1
    assert stored(app, book_id).chunks[0].text == text
    assert app.queue.sent.count(WriteChunk(book_id, 1)) == 1


async def test_a_second_worker_does_not_take_a_chunk_under_a_live_lease(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))

    async def slow_write(request, on_text, on_restart=None):
        assert await app.chunk_writer("worker-2")(WriteChunk(book_id, 0)) is False
        return await original(request, on_text, on_restart)

    original, app.llm.write = app.llm.write, slow_write
    assert await app.chunk_writer("worker-1")(WriteChunk(book_id, 0)) is True


async def test_a_failed_write_keeps_finished_chunks_and_resume_finishes_the_book(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    app.llm.fail_writes = {2}
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    book = stored(app, book_id)
    assert book.status is BookStatus.FAILED and "stream broke" in book.failure
    first_two = [c.text for c in book.chunks[:2]]
    assert await app.write_book(WriteBook(book_id)) == [2]
    await app.run_queue()
    book = stored(app, book_id)
    assert book.status is BookStatus.WRITTEN
    assert [c.text for c in book.chunks[:2]] == first_two
    assert [r.chunk.index for r in app.llm.write_requests] == [0, 1, 2, 2, 3, 4, 5]


async def test_written_book_mails_its_author(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    (mail,) = [c for c in app.queue.sent if isinstance(c, SendEmail)]
    assert mail.to == "ana@example.com" and "The Quiet Garden" in mail.subject
    assert SendEmail.queue == "emails_low"
    assert app.mailer.sent == [(mail.to, mail.subject, mail.body)]


async def test_cancel_stops_further_chunks(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    await app.cancel(CancelBook(book_id))
    await app.run_queue()
    assert stored(app, book_id).status is BookStatus.CANCELLED
    assert app.llm.write_requests == []


async def test_quota_refuses_books_beyond_the_plan(app):
    owner = await author(app, plan=None)  # free plan: one book a month
    await app.create_book(CreateBook(owner, BRIEF))
    with pytest.raises(QuotaExceeded):
        await app.create_book(CreateBook(owner, BRIEF))
    assert len(app.store.books) == 1


async def test_quota_refuses_books_longer_than_the_plan_allows(app):
    owner = await author(app, plan=None)
    with pytest.raises(QuotaExceeded, match="words per book"):
        await app.create_book(CreateBook(owner, Brief(idea="A very long book indeed", target_words=20_000)))


async def test_quota_counts_only_this_month(app):
    owner = await author(app, plan=None)
    await app.create_book(CreateBook(owner, BRIEF))
    app.clock.advance(days=10)  # 25 Nov -> 5 Dec
    await app.create_book(CreateBook(owner, BRIEF))
    assert len(app.store.books) == 2


async def test_subscribing_raises_the_quota(app):
    owner = await author(app, plan=None)
    await app.create_book(CreateBook(owner, BRIEF))
    await app.subscribe(Subscribe(owner, "pro"))
    await app.create_book(CreateBook(owner, BRIEF))
    assert len(app.store.books) == 2


async def test_register_refuses_a_taken_email(app):
    await author(app)
    with pytest.raises(EmailTaken):
        await app.register_user(RegisterUser("ANA@example.com", "Other Ana"))


async def test_unknown_book_or_user_is_not_found(app):
    with pytest.raises(NotFound):
        await app.approve(ApproveArchitecture("nope"))
    with pytest.raises(NotFound):
        await app.create_book(CreateBook("ghost", BRIEF))


async def test_approving_twice_is_refused_and_changes_nothing(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    with pytest.raises(InvalidTransition):
        await app.approve(ApproveArchitecture(book_id))
    assert stored(app, book_id).status is BookStatus.APPROVED


async def test_an_unavailable_model_makes_the_chunk_wait_not_fail(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    app.llm.unavailable = 2
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    assert stored(app, book_id).status is BookStatus.WRITTEN
    assert app.clock.slept == [30, 30]
    waiting = app.live.of_type("waiting")
    assert len(waiting) == 2 and waiting[0]["reason"] == "circuit open" and waiting[0]["index"] == 0


async def test_a_model_unavailable_for_too_long_fails_the_book_resumably(app):
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    app.llm.unavailable = 1000
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    book = stored(app, book_id)
    assert book.status is BookStatus.FAILED and "circuit open" in book.failure
    assert len(app.live.of_type("waiting")) == 60  # 1800 s of patience in 30 s steps


async def test_a_long_chunk_keeps_renewing_its_lease(app):
    import asyncio
    from datetime import timedelta

    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    writer = app.chunk_writer("worker-1")
    writer.lease = timedelta(seconds=3)  # renewed every second
    seen = []

    async def long_write(request, on_text, on_restart=None):
        app.clock.advance(minutes=20)
        await asyncio.sleep(1.3)
        seen.append(stored(app, book_id).chunks[0].lease_until)
        return await original(request, on_text, on_restart)

    original, app.llm.write = app.llm.write, long_write
    assert await writer(WriteChunk(book_id, 0)) is True
    assert seen == [app.clock.now() + timedelta(seconds=3)]


async def test_a_registration_that_loses_the_race_is_email_taken(app, monkeypatch):
    from buko.application.ports import DuplicateKey
    from tests.unit.fakes import FakeUserRepository

    async def racing_add(self, user):  # another sign-up committed the same email in between
        raise DuplicateKey(f"{user.email} is already registered")

    monkeypatch.setattr(FakeUserRepository, "add", racing_add)
    with pytest.raises(EmailTaken, match="already registered"):
        await app.register_user(RegisterUser("zoe@example.com", "Zoe"))


async def test_a_plan_abandoned_by_a_stopping_worker_is_asked_for_again(app):
    book_id = await app.create_book(CreateBook(await author(app), BRIEF))
    app.queue.waiting.clear()
    await app.plan_book.abandon(PlanBook(book_id))
    assert app.queue.waiting == [PlanBook(book_id)]
    await app.run_queue()
    assert stored(app, book_id).status is BookStatus.PLANNED
    await app.plan_book.abandon(PlanBook(book_id))  # already planned: nothing to ask for
    assert app.queue.waiting == []
