"""`contacts extract`: read a release file, propose its contacts, optionally import them
through the same validation and duplicate handling as any other import.

The book's organisations are passed to extraction (:func:`known_orgs`): a contact whose
e-mail domain is under an organisation's website gets it as its organisation (seed 002:
``@cnes.fr`` and https://presse.cnes.fr), and its national numbers are read in that
organisation's country; a contact without an e-mail gets the one organisation of the book
the release names (seed 003, which names CNES). Only proposals from
:data:`IMPORT_THRESHOLD` on are imported unless every proposal is asked for
(:func:`split_by_confidence`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from pressctl.book.importer import ImportReport, import_file
from pressctl.book.session import Book
from pressctl.contacts.extraction.scoring import IMPORT_THRESHOLD
from pressctl.contacts.extraction.text import KnownOrg, ProposedContact, extract_contacts
from pressctl.contacts.formats import RawRecord
from pressctl.contacts.formats.files import ContactFile
from pressctl.contacts.phones import field_text
from pressctl.errors import InvalidInput

__all__ = ["IMPORT_THRESHOLD", "extract_from_file", "import_proposals", "known_orgs",
           "split_by_confidence"]


def known_orgs(book: Book) -> list[KnownOrg]:
    """The book's organisations as extraction sees them: the name contacts refer to (the
    short name, else the name), the domain of the website ("www." dropped), the country."""
    return [KnownOrg(org.short_name or org.name, _domains(org.website), org.country)
            for org in book.store.orgs.all()]


def _domains(website: str | None) -> tuple[str, ...]:
    """("cnes.fr",) for "https://www.cnes.fr/presse"; () for no website."""
    if not website:
        return ()
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    host = host.removeprefix("www.")
    return (host,) if "." in host else ()


def extract_from_file(path: Path, region: str | None,
                      orgs: Sequence[KnownOrg] = ()) -> list[ProposedContact]:
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
    proposals = extract_contacts(text, region=region, filename=path.name, orgs=orgs)
    if not proposals:
        raise InvalidInput(
            f"{path}: no contacts found",
            hint="the release needs a contact block with a name and a phone or e-mail",
        )
    return proposals


def split_by_confidence(
    proposals: Sequence[ProposedContact], threshold: float = IMPORT_THRESHOLD, *,
    everything: bool = False,
) -> tuple[list[ProposedContact], list[ProposedContact]]:
    """(the proposals to import, those left out for a confidence below ``threshold``);
    with ``everything`` (`--all`) none is left out."""
    if everything:
        return list(proposals), []
    kept = [p for p in proposals if p.confidence >= threshold]
    return kept, [p for p in proposals if p.confidence < threshold]


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
