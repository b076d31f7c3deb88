"""`contacts extract`: read a release file, propose its contacts, optionally import them
through the same validation and duplicate handling as any other import."""

from __future__ import annotations

from pathlib import Path

from pressctl.book.importer import ImportReport, import_file
from pressctl.book.session import Book
from pressctl.contacts.extraction.text import ProposedContact, extract_contacts
from pressctl.contacts.formats import RawRecord
from pressctl.contacts.formats.files import ContactFile
from pressctl.contacts.phones import field_text
from pressctl.errors import InvalidInput


def extract_from_file(path: Path, region: str | None) -> list[ProposedContact]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise InvalidInput(f"{path}: no such file") from err
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read ({err.strerror})") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InvalidInput(f"{path}:{line}: not UTF-8", hint="save the release as UTF-8") from err
    proposals = extract_contacts(text, region=region, filename=path.name)
    if not proposals:
        raise InvalidInput(
            f"{path}: no contacts found",
            hint="the release needs a contact block with a name and a phone or e-mail",
        )
    return proposals


def import_proposals(
    book: Book, proposals: list[ProposedContact], source: str, *, kind: str = "officer",
    on_duplicate: str = "fail", dry_run: bool = False,
) -> ImportReport:
    """All or nothing, like an import: a proposal with a problem stops the whole import."""
    records = [
        RawRecord(p.line, {
            "name": p.name or "", "kind": kind, "role": p.role or "",
            "organization": p.organization or "", "emails": list(p.emails),
            "phones": [field_text(phone) for phone in p.phones],
            **({"_error": "; ".join(p.problems)} if p.problems else {}),
        }, "")
        for p in proposals
    ]
    contact_file = ContactFile(source, "extract", iter(records), len(records))
    return import_file(book, contact_file, on_duplicate=on_duplicate, dry_run=dry_run,
                       default_kind=kind)
