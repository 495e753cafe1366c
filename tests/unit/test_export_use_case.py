import pytest

from buko.application.books.exporting import ExportBookHandler, UnsupportedFormat, slugify
from buko.application.commands import ApproveArchitecture, CreateBook, ExportBook, RegisterUser, Subscribe, WriteBook
from buko.application.ports import ArtifactStore, CoverRenderer, Exporter
from buko.domain.errors import InvalidTransition


class CountingExporter(Exporter):
    format, extension, media_type = "txt", "txt", "text/plain"

    def __init__(self):
        self.renders = 0

    def render(self, manuscript, cover_png):
        self.renders += 1
        body = "\n".join(f"# {c.title}\n{c.markdown}" for c in manuscript.chapters)
        return (manuscript.credit + "\n" + body).encode() + cover_png


class FixedCover(CoverRenderer):
    def render(self, manuscript):
        return b"PNG"


class MemoryArtifacts(ArtifactStore):
    def __init__(self):
        self.files = {}

    async def find(self, book_id, name):
        return f"{book_id}/{name}" if (book_id, name) in self.files else None

    async def put(self, book_id, name, data):
        self.files[(book_id, name)] = data
        return f"{book_id}/{name}"

    async def remove_all(self, book_id):
        self.files = {k: v for k, v in self.files.items() if k[0] != book_id}


async def written_book(app):
    owner = await app.register_user(RegisterUser("ana@example.com", "Ana"))
    await app.subscribe(Subscribe(owner, "pro"))
    from tests.unit.test_use_cases import BRIEF

    book_id = await app.create_book(CreateBook(owner, BRIEF))
    await app.run_queue()
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    await app.run_queue()
    return book_id


@pytest.fixture
def exporter():
    return CountingExporter()


@pytest.fixture
def artifacts():
    return MemoryArtifacts()


@pytest.fixture
def export(app, exporter, artifacts):
    return ExportBookHandler(app.uow, {"txt": exporter}, FixedCover(), artifacts)


async def test_export_renders_every_chapter_from_stored_chunks(app, export, artifacts):
    book_id = await written_book(app)
    location = await export(ExportBook(book_id, "txt"))
    assert location.startswith(f"{book_id}/the-quiet-garden-") and location.endswith(".txt")
    data = next(iter(artifacts.files.values())).decode()
    for title in ("Chapter 1: Soil", "Chapter 2: Seeds", "Chapter 3: Water"):
        assert f"# {title}" in data
    assert "Written with Buko and fake-model." in data


async def test_same_content_is_served_from_cache(app, export, exporter):
    book_id = await written_book(app)
    first = await export(ExportBook(book_id, "txt"))
    assert await export(ExportBook(book_id, "txt")) == first
    assert exporter.renders == 1


async def test_unknown_format_and_unwritten_book_are_refused(app, export):
    with pytest.raises(UnsupportedFormat, match="use one of txt"):
        await export(ExportBook("x", "rtf"))
    owner = await app.register_user(RegisterUser("bo@example.com", "Bo"))
    from tests.unit.test_use_cases import BRIEF

    book_id = await app.create_book(CreateBook(owner, BRIEF))
    with pytest.raises(InvalidTransition, match="only a written book"):
        await export(ExportBook(book_id, "txt"))


def test_slugify():
    assert slugify("¿Qué es el Jardín?") == "que-es-el-jardin"
    assert slugify("!!!") == "book"
    long = slugify("Guía práctica de apicultura urbana en balcones pequeños para principiantes curiosos")
    assert long == "guia-practica-de-apicultura-urbana-en-balcones-pequenos-para"
    assert len(slugify("word " * 40)) <= 60 and not slugify("word " * 40).endswith("-")
