from datetime import UTC, datetime

import pytest

from buko.domain.accounts.user import InvalidUser, Role, User
from buko.domain.books.brief import Brief
from buko.domain.errors import InvalidBrief


def test_a_reasonable_brief_is_accepted():
    brief = Brief(idea="A field guide to city birds", language="es", target_words=30_000, chapter_count=10)
    assert Brief.from_dict(brief.as_dict()) == brief


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"idea": "short"}, "idea must be at least 10"),
        ({"idea": "x" * 4001}, "idea must be at most 4000"),
        ({"language": "fr"}, "language must be one of"),
        ({"target_words": 10}, "target_words must be between"),
        ({"chapter_count": 0}, "chapter_count must be between"),
        ({"chapter_count": 50, "target_words": 5000}, "at least 200 words per chapter"),
        ({"style_sample": "y" * 9000}, "style_sample must be at most"),
    ],
)
def test_bad_briefs_are_refused_with_a_reason(changes, message):
    fields = {"idea": "A field guide to city birds", **changes}
    with pytest.raises(InvalidBrief, match=message):
        Brief(**fields)


def test_user_email_is_normalised_and_checked():
    user = User("1", "  Ana@Example.COM ", "Ana", Role.ADMIN, datetime.now(UTC))
    assert user.email == "ana@example.com" and user.is_admin
    with pytest.raises(InvalidUser):
        User("2", "not-an-email", "Bo", Role.AUTHOR, datetime.now(UTC))
