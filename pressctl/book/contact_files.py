"""Contact files in and out of the book, as `contacts import` and `contacts export` see
them: a file is opened (its format from --format, else its suffix and content), imported
(pressctl.book.importer) and its rejected rows written back, untouched, to a rejects file;
an export goes to a file in the format its suffix names (CSV in the standard or the
``excel`` dialect: pressctl.contacts.formats.csvfile). Files are written privately (0600)
and atomically: they hold personal data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pressctl.book.contacts import export_contacts
from pressctl.book.importer import ImportReport, import_file
from pressctl.book.session import Book
from pressctl.config import write_private_file
from pressctl.contacts.formats.files import guess_format, open_contact_file, rejects_text
from pressctl.contacts.model import ContactFilter
from pressctl.contacts.validation import kind_of
from pressctl.store import Store


def import_contact_file(
    book: Book, path: Path, *, fmt: str | None = None, region: str | None = None,
    on_duplicate: str = "fail", skip_invalid: bool = False, rejects: Path | None = None,
    dry_run: bool = False, default_kind: str = "journalist", check_dns: bool = False,
) -> ImportReport:
    """Import the file at ``path``; with ``rejects``, the rows left out are written there
    (a dry run writes them too: it shows what the import would reject)."""
    contact_file = open_contact_file(path, fmt.lower() if fmt else None)
    report = import_file(
        book, contact_file, region=region.upper() if region else None,
        on_duplicate=on_duplicate, skip_invalid=skip_invalid, dry_run=dry_run,
        default_kind=kind_of(default_kind) or default_kind, check_dns=check_dns,
    )
    if rejects is not None and report.rejected:
        write_private_file(rejects, rejects_text(contact_file, report.rejected))
    return report


def export_format(out: Path | None, fmt: str | None) -> str:
    """The format asked for, else the one ``out``'s suffix names, else vCard."""
    return (fmt or (guess_format(out, "") if out and out.suffix else "vcard")).lower()


def export_chunks(store: Store, where: ContactFilter, fmt: str, *, vcard_version: str = "3.0",
                  csv_dialect: str = "standard") -> Iterator[str]:
    """The selected contacts as text chunks; ``csv_dialect`` only matters for CSV."""
    return export_contacts(store, where, fmt, vcard_version=vcard_version,
                           csv_dialect=csv_dialect)


def export_to_file(store: Store, where: ContactFilter, out: Path, fmt: str, *,
                   vcard_version: str = "3.0", csv_dialect: str = "standard") -> None:
    # Written as the contacts are read (0600, then renamed over ``out``: whole or not at all).
    write_private_file(out, export_chunks(store, where, fmt, vcard_version=vcard_version,
                                          csv_dialect=csv_dialect))
