"""Reading and writing the contact files press offices exchange (CSV, vCard, JSON).

Readers turn a file into :class:`RawRecord` values without judging them; validation
happens once, in :mod:`pressctl.contacts.validation`, whatever the format. Writers take stored
:class:`~pressctl.contacts.model.Contact` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Canonical keys of RawRecord.fields. Values are strings, except "emails", "phones" and
# "roles", which are lists of strings as written in the file. A phone string may carry
# its type as a label the phone parser understands ("Mobile: 06 25 79 64 79", "Fax +33
# 1 ..."); a "roles" string is "LANGUAGE=ROLE" ("en=Press officer"), as `--role-lang`
# takes it. "affiliation" is a vCard ORG of another address book: the outlet of a
# journalist, the organisation of anyone else (validation decides, knowing the kind).
RAW_KEYS = (
    "name", "first_name", "last_name", "kind", "role", "roles", "organization", "outlet",
    "affiliation", "tags", "languages", "country", "emails", "phones", "notes",
    "embargo_ok", "opted_out", "salutation", "first_name_ok",
)


@dataclass(slots=True)
class RawRecord:
    """One contact as found in a file, before validation.

    ``line`` is the 1-based line where the record starts, ``text`` the record exactly as
    it stood in the file (written back untouched to a rejects file).
    """

    line: int
    fields: dict[str, str | list[str]] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that validation refused, and why (written back to a rejects file)."""

    record: RawRecord
    reason: str  # the problems found, joined by "; "
