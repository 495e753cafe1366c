"""Errors raised by the domain. Entry points map them to 4xx answers or CLI messages."""


class DomainError(Exception):
    """A rule of the model was broken; the message is meant for the user."""

    code = "domain_error"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class InvalidBrief(DomainError):
    code = "invalid_brief"


class InvalidArchitecture(DomainError):
    code = "invalid_architecture"

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("architecture is not valid: " + "; ".join(self.problems))


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class ChunkBusy(DomainError):
    """Another worker holds a live lease on this chunk."""

    code = "chunk_busy"


class NotFound(DomainError):
    code = "not_found"


class Unauthenticated(DomainError):
    """No valid credentials (or wrong ones): log in first."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    code = "forbidden"


class Conflict(DomainError):
    """The request is valid but clashes with the current state; `current` says what it is now."""

    code = "conflict"

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}
