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
