"""Exports are made in the worker when a book is written, and only remade when what they show changes."""
import asyncio
from dataclasses import replace

from buko.adapters.queue.taskiq_queue import TASK_NAMES, in_memory_brokers
from buko.application.books.exporting import ExportBookHandler
from buko.application.commands import (
    EXPORT_FORMATS, GENERATION_QUEUE, ApproveArchitecture, CreateBook, ExportBook, PlanBook, RegisterUser, SendEmail,
    Subscribe, WriteBook, WriteChunk,
)
from buko.application.notifications import SendEmailHandler
from buko.entrypoints.worker import tasks
from tests.unit.test_export_use_case import CountingExporter, FixedCover, MemoryArtifacts
from tests.unit.test_use_cases import BRIEF


class Exporters(dict):
    """One counting exporter per format Buko pre-renders."""

    def __init__(self):
        super().__init__()
        for fmt in EXPORT_FORMATS:
            exporter = CountingExporter()
            exporter.format = exporter.extension = fmt
            self[fmt] = exporter

    @property
    def renders(self) -> int:
        return sum(e.renders for e in self.values())


async def written(app, export, brief=BRIEF) -> str:
    """A book taken through plan, approve and write, with the queue drained as a worker would."""
    owner = await app.register_user(RegisterUser("ana@example.com", "Ana"))
    await app.subscribe(Subscribe(owner, "pro"))
    book_id = await app.create_book(CreateBook(owner, brief))
    handlers = {PlanBook: app.plan_book, WriteChunk: app.write_chunk, SendEmail: SendEmailHandler(app.mailer),
                ExportBook: export}
    await app.queue.drain(handlers)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    await app.queue.drain(handlers)
    return book_id


async def test_writing_a_book_queues_every_export_on_the_generation_queue_and_the_worker_renders_them(app):
    exporters, artifacts = Exporters(), MemoryArtifacts()
    book_id = await written(app, ExportBookHandler(app.uow, exporters, FixedCover(), artifacts))
    queued = [c for c in app.queue.sent if isinstance(c, ExportBook)]
    assert sorted(c.format for c in queued) == sorted(EXPORT_FORMATS)
    assert {c.queue for c in queued} == {GENERATION_QUEUE} and {c.book_id for c in queued} == {book_id}
    assert sorted(name.rsplit(".", 1)[1] for _, name in artifacts.files) == sorted(EXPORT_FORMATS)
    assert exporters.renders == len(EXPORT_FORMATS)


async def test_a_later_download_reuses_the_file_and_a_text_change_makes_a_new_one(app):
    exporters, artifacts = Exporters(), MemoryArtifacts()
    export = ExportBookHandler(app.uow, exporters, FixedCover(), artifacts)
    book_id = await written(app, export)
    first = await export(ExportBook(book_id, "pdf"))
    assert exporters["pdf"].renders == 1 and len(artifacts.files) == len(EXPORT_FORMATS)
    app.store.books[book_id].chunks[0].text += "\n\nUna frase más, con acentos: ñandú."
    second = await export(ExportBook(book_id, "pdf"))
    assert second != first and exporters["pdf"].renders == 2
    assert "ñandú" in artifacts.files[(book_id, second.split("/", 1)[1])].decode()
    assert await export(ExportBook(book_id, "pdf")) == second and exporters["pdf"].renders == 2


async def test_a_new_cover_or_trim_size_makes_a_new_file(app):
    exporters, artifacts = Exporters(), MemoryArtifacts()
    export = ExportBookHandler(app.uow, exporters, FixedCover(), artifacts)
    book_id = await written(app, export)
    first = await export(ExportBook(book_id, "pdf"))

    class NewCover(FixedCover):
        version = "2"

    recovered = await ExportBookHandler(app.uow, exporters, NewCover(), artifacts)(ExportBook(book_id, "pdf"))
    assert recovered != first and exporters["pdf"].renders == 2
    book = app.store.books[book_id]
    book.brief = replace(book.brief, trim_size="6x9")
    assert await export(ExportBook(book_id, "pdf")) not in (first, recovered)


async def test_concurrent_requests_for_one_file_render_it_once(app):
    exporters, artifacts = Exporters(), MemoryArtifacts()
    book_id = await written(app, ExportBookHandler(app.uow, exporters, FixedCover(), artifacts))
    app.store.books[book_id].chunks[0].text += " Cambio."
    export = ExportBookHandler(app.uow, exporters, FixedCover(), artifacts)
    found = await asyncio.gather(*(export(ExportBook(book_id, "epub")) for _ in range(4)))
    assert len(set(found)) == 1 and exporters["epub"].renders == 2


async def test_export_task_is_registered_on_the_generation_broker_and_calls_the_use_case():
    brokers = in_memory_brokers(1)
    calls = []

    class UseCases:
        def export_book(self):
            async def handler(cmd):
                calls.append(cmd)
            return handler

    tasks.register(brokers, container=object())
    assert brokers[GENERATION_QUEUE].find_task(TASK_NAMES[ExportBook]) is not None
    assert all(b.find_task(TASK_NAMES[ExportBook]) is None for q, b in brokers.items() if q != GENERATION_QUEUE)
    await tasks.export_book("book-1", "epub", uc=UseCases())
    assert calls == [ExportBook("book-1", "epub")]
