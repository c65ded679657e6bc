"""Errors every layer raises; the web layer maps ``kind`` to an HTTP status.

Each error carries a stable machine ``code`` (English, snake_case) and a Chinese
``message`` that is shown to users as is. ``details`` holds structured context
(field names, element ids, file and line) for clients and logs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IncidentReport:
    """A failure to keep although its transaction is rolled back (recorded by the edge, apart)."""

    kind: str
    case_id: int | None
    message: str


class OneSealError(Exception):
    """Base class. Subclasses fix ``kind``; callers choose ``code`` and ``message``.

    ``incident``, when a service sets it, is recorded by the edge in a transaction of its own
    after the failed one is rolled back (see :mod:`app.services.stepping.incidents`).
    """

    kind = "error"
    incident: IncidentReport | None = None

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InvalidInput(OneSealError):
    """Bad input from a user or a client (HTTP 400)."""

    kind = "invalid"


class FieldsRequired(InvalidInput):
    """A form sent without fields its step requires (HTTP 422, code ``field_required``); the
    details name every problem of the form (``fields``)."""

    kind = "unprocessable"


class NotAuthenticated(OneSealError):
    """No or bad credentials (HTTP 401)."""

    kind = "unauthenticated"


class Forbidden(OneSealError):
    """The actor may not do this (HTTP 403)."""

    kind = "forbidden"


class NotFound(OneSealError):
    """The thing does not exist, or the actor may not know that it does (HTTP 404)."""

    kind = "not_found"


class Conflict(OneSealError):
    """The thing changed underneath: done already, claimed by someone else, stale (HTTP 409)."""

    kind = "conflict"


class TooLarge(OneSealError):
    """The upload exceeds a size limit (HTTP 413)."""

    kind = "too_large"


class Unavailable(OneSealError):
    """A transient condition (database busy); the client may retry (HTTP 503)."""

    kind = "unavailable"


class DataFileError(OneSealError):
    """A bureau-edited data file (catalogue, calendar, rules, diagram) is invalid.

    ``details`` names the file and, where known, the line and the entry or element.
    """

    kind = "invalid"

    def __init__(self, code: str, message: str, *, file: str, line: int | None = None,
                 entry: str | None = None, **details: Any) -> None:
        super().__init__(code, message, file=file, line=line, entry=entry, **details)
        self.file = file
        self.line = line
        self.entry = entry

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.entry:
            where += f" [{self.entry}]"
        return f"{where}: {self.message} ({self.code})"
