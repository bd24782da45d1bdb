"""Errors a user can act on: each says what went wrong, where, and why."""

from __future__ import annotations


class PadisError(Exception):
    """A user-facing error: the CLI prints ``where: what (why)`` on one line and exits non-zero."""

    exit_code = 2

    def __init__(self, what: str, *, where: str = "", why: str = "") -> None:
        self.what, self.where, self.why = what, where, why
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line message: ``where: what (why)``."""
        head = f"{self.where}: " if self.where else ""
        tail = f" ({self.why})" if self.why else ""
        return f"{head}{self.what}{tail}"


class InputError(PadisError):
    """A file or value the user gave cannot be used."""


class ConfigError(PadisError):
    """A setting, mapping or settings file is wrong."""


class StorageError(PadisError):
    """The database could not take a write (disk full, locked, a writer process gone)."""


class AccessDenied(PadisError):
    """The caller may not do this (agreement, role, scope or purpose)."""

    exit_code = 3
