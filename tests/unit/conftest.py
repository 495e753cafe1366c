from dataclasses import dataclass
from datetime import timedelta

import pytest

from buko.application.accounts.registration import RegisterUserHandler
from buko.application.billing.subscriptions import SubscribeHandler
from buko.application.books.lifecycle import (
    ApproveArchitectureHandler,
    CancelBookHandler,
    CreateBookHandler,
    EditArchitectureHandler,
    ResumeBookHandler,
    ReviseArchitectureHandler,
    WriteBookHandler,
)
from buko.application.books.planning import PlanBookHandler
from buko.application.books.writing import WriteChunkHandler
from buko.application.commands import PlanBook, SendEmail, WriteChunk
from buko.application.messagebus import MessageBus
from buko.application.notifications import SendEmailHandler
from tests.unit.fakes import FakeClock, FakeLanguageModel, FakeLiveEvents, FakeMailer, FakeTaskQueue, FakeUnitOfWork, Store


@dataclass
class App:
    store: Store
    llm: FakeLanguageModel
    queue: FakeTaskQueue
    live: FakeLiveEvents
    clock: FakeClock
    mailer: FakeMailer

    def uow(self):
        return FakeUnitOfWork(self.store)

    @property
    def bus(self):
        return MessageBus(self.queue, self.live, self.uow)

    def __getattr__(self, name):
        factories = {
            "register_user": lambda: RegisterUserHandler(self.uow, self.clock),
            "subscribe": lambda: SubscribeHandler(self.uow, self.clock),
            "create_book": lambda: CreateBookHandler(self.uow, self.bus, self.clock),
            "plan_book": lambda: PlanBookHandler(self.uow, self.bus, self.llm, self.live, self.clock),
            "revise": lambda: ReviseArchitectureHandler(self.uow, self.bus),
            "edit": lambda: EditArchitectureHandler(self.uow, self.bus),
            "approve": lambda: ApproveArchitectureHandler(self.uow, self.bus, chunk_words=600),
            "write_book": lambda: WriteBookHandler(self.uow, self.bus, self.clock),
            "resume": lambda: ResumeBookHandler(self.uow, self.bus, self.clock),
            "write_chunk": lambda: self.chunk_writer("worker-1"),
            "cancel": lambda: CancelBookHandler(self.uow, self.bus),
        }
        if name not in factories:
            raise AttributeError(name)
        return factories[name]()

    def chunk_writer(self, worker_id: str) -> WriteChunkHandler:
        return WriteChunkHandler(self.uow, self.bus, self.llm, self.live, self.clock, worker_id, timedelta(minutes=15))

    async def run_queue(self) -> int:
        return await self.queue.drain(
            {PlanBook: self.plan_book, WriteChunk: self.write_chunk, SendEmail: SendEmailHandler(self.mailer)}
        )


@pytest.fixture
def app() -> App:
    return App(Store(), FakeLanguageModel(), FakeTaskQueue(), FakeLiveEvents(), FakeClock(), FakeMailer())
