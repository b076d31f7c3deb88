"""Exit codes and the one exception tree of pressctl.

The core raises these; only the CLI edge turns them into a message and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_CONFIG = 4
EXIT_DELIVERY = 5
EXIT_DECLINED = 6  # "n" at a confirmation (pressctl.cli.prompts): nothing was done
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # SIGTERM


class PressctlError(Exception):
    """Base of every error the user can act on. ``str(err)`` is the one-line message."""

    exit_code = EXIT_BUG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidInput(PressctlError):
    """A contact, value, file, release or template is wrong (exit 3)."""

    exit_code = EXIT_INVALID


class InvalidPhone(InvalidInput):
    """A phone number that phonenumbers (or our traps) rejects; message is the reason."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f'phone "{value}" {reason}')
        self.value = value
        self.reason = reason


class InvalidEmail(InvalidInput):
    """An e-mail address that stays invalid after cleaning; message is the reason."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f'e-mail "{value}": {reason}')
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one place: ``where`` is ``file:line``, a contact, or a field."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ProblemsFound(InvalidInput):
    """Several problems found in one pass (an import, a check); nothing was changed."""

    def __init__(self, summary: str, problems: list[Problem], *, hint: str | None = None) -> None:
        super().__init__(summary, hint=hint)
        self.problems = problems


class DuplicateContact(InvalidInput):
    """A contact the book already has (with --on-duplicate fail): one of its e-mails
    belongs to another contact, or, without an e-mail, its name and a phone match one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"{len(problems)} duplicate contact(s)",
            hint="choose --on-duplicate skip or --on-duplicate update",
        )
        self.problems = problems


class NotFound(InvalidInput):
    """A contact, organisation or file named on the command line does not exist."""


class ConfigError(PressctlError):
    """Configuration or credentials are missing or invalid (exit 4)."""

    exit_code = EXIT_CONFIG


class StorageKind(StrEnum):
    """What went wrong with the database file (see pressctl.store.failures)."""

    FULL = "full"  # no space left (disk, quota or SQLite's size limit)
    READ_ONLY = "read-only"  # read-only file system, file or folder
    LOCKED = "locked"  # another connection kept the write lock past the busy timeout
    DAMAGED = "damaged"  # corrupted, or not a SQLite file at all
    IO = "i/o"  # the disk reported an input/output error
    UNUSABLE = "unusable"  # readable SQLite, but not a pressctl book we can migrate


class StorageError(ConfigError):
    """The database cannot be used as it is: disk full, read-only, locked, damaged (exit 4).
    The message names the real cause and advice that cannot lose data; ``cause`` is
    SQLite's (or the system's) own words."""

    def __init__(self, message: str, *, kind: StorageKind = StorageKind.UNUSABLE,
                 cause: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.cause = cause


class DeliveryFailed(PressctlError):
    """Delivery finished, but some messages failed (exit 5)."""

    exit_code = EXIT_DELIVERY


class Stopped(PressctlError):
    """A run stopped on request: exit 130 (SIGINT) or 143 (SIGTERM)."""

    def __init__(self, message: str, *, exit_code: int = EXIT_INTERRUPTED) -> None:
        super().__init__(message)
        self.exit_code = exit_code
