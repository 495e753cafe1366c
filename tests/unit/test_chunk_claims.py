"""Who may claim a chunk, and when a chunk fails its book: lost workers, not interruptions, count."""
from datetime import timedelta

import pytest

from buko.domain.books.book import LOST_WORKERS_WINDOW, MAX_LOST_WORKERS, BookStatus
from buko.domain.books.chunks import ChunkStatus
from buko.domain.books.usage import Usage
from buko.domain.errors import ChunkBusy
from tests.unit.test_book_lifecycle import LEASE, NOW, writing_book


def test_hand_backs_and_model_failures_never_fail_the_book_however_many():
    book, _ = writing_book()
    for n in range(3 * MAX_LOST_WORKERS):
        assert book.claim_chunk(0, f"w{n}", NOW, LEASE)
        if n % 2:
            assert book.end_lease(0, f"w{n}")  # SIGTERM: given back
        else:
            assert book.release_chunk(0, f"w{n}", Usage(calls=1))  # a failed model call, given back
    assert book.status is BookStatus.WRITING
    assert book.chunks[0].lost_workers == () and book.chunks[0].attempts == 3 * MAX_LOST_WORKERS


def test_a_live_lease_is_taken_over_at_once_when_its_holder_is_gone():
    book, _ = writing_book()
    assert book.claim_chunk(0, "w1", NOW, LEASE)
    later = NOW + timedelta(seconds=20)
    with pytest.raises(ChunkBusy):
        book.claim_chunk(0, "w2", later, LEASE)  # w1 is alive as far as anyone knows
    with pytest.raises(ChunkBusy):
        book.claim_chunk(0, "w2", later, LEASE, gone="w9")  # someone else being gone changes nothing
    assert book.claim_chunk(0, "w2", later, LEASE, gone="w1")
    chunk = book.chunks[0]
    assert (chunk.lease_owner, chunk.lease_until, chunk.status) == ("w2", later + LEASE, ChunkStatus.WRITING)
    assert chunk.lost_workers == (("w1", later),)


def test_a_chunk_that_loses_too_many_workers_in_the_window_fails_the_book_and_says_why():
    book, _ = writing_book()
    now = NOW
    assert book.claim_chunk(0, "w0", now, LEASE)
    for n in range(1, MAX_LOST_WORKERS):
        now += timedelta(seconds=20)
        assert book.claim_chunk(0, f"w{n}", now, LEASE, gone=f"w{n - 1}")
    assert book.status is BookStatus.WRITING and len(book.chunks[0].lost_workers) == MAX_LOST_WORKERS - 1
    now += timedelta(seconds=20)
    assert book.claim_chunk(0, "last", now, LEASE, gone=f"w{MAX_LOST_WORKERS - 1}") is False
    assert book.status is BookStatus.FAILED
    assert f"chunk 0 lost {MAX_LOST_WORKERS} different workers within 30 minutes" in book.failure
    assert book.chunks[0].lease_owner == "" and book.chunks[0].status is ChunkStatus.PENDING
    assert book.start_writing(1) == [0]  # resumable, with a clean record
    assert book.chunks[0].lost_workers == () and book.chunks[0].attempts == 0


def test_losses_spread_beyond_the_window_do_not_add_up():
    book, _ = writing_book()
    now = NOW
    assert book.claim_chunk(0, "w0", now, LEASE)
    for n in range(1, 3 * MAX_LOST_WORKERS):
        now += LOST_WORKERS_WINDOW / (MAX_LOST_WORKERS - 2)
        assert book.claim_chunk(0, f"w{n}", now, LEASE, gone=f"w{n - 1}")
    assert book.status is BookStatus.WRITING
    assert len(book.chunks[0].lost_workers) < MAX_LOST_WORKERS


def test_an_expired_lease_counts_its_holder_as_lost_but_a_redelivery_to_the_holder_does_not():
    book, _ = writing_book()
    assert book.claim_chunk(0, "w1", NOW, LEASE)
    assert book.claim_chunk(0, "w1", NOW + timedelta(seconds=5), LEASE)  # the same worker again
    assert book.chunks[0].lost_workers == ()
    assert book.claim_chunk(0, "w2", NOW + 2 * LEASE, LEASE)
    assert book.chunks[0].lost_workers == (("w1", NOW + 2 * LEASE),)
