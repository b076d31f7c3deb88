"""Organisation use cases: the organisations whose press officers and "About" texts
the releases use.

Every change is recorded in the trail with who made it (pressctl.book.changes), in its
transaction; an edit writes only over the version it read, as a contact's does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from pressctl.book.changes import ChangeAction, NewChange, Subject, edit_conflict, record
from pressctl.book.changes import record_many as record_changes
from pressctl.book.session import Book
from pressctl.contacts.model import Organization
from pressctl.contacts.regions import country_code, language_tag
from pressctl.errors import InvalidInput, NotFound, Problem, ProblemsFound

ORG_FIELDS = ("name", "short_name", "country", "website", "about")


# Named tuples rather than dataclasses: callers unpack them (`org, count = remove_org(...)`).
class RemovedOrg(NamedTuple):
    org: Organization
    contacts: int  # contacts naming it, which stay (their organisation text is kept)


class OrgImport(NamedTuple):
    added: int
    updated: int


def validate_org(fields: Mapping[str, object]) -> tuple[Organization | None, list[str]]:
    problems: list[str] = []
    name = str(fields.get("name") or "").strip()
    if not name:
        problems.append("name is missing")
    short = str(fields.get("short_name") or "").strip() or None
    country = None
    if fields.get("country"):
        country = country_code(str(fields["country"]))
        if country is None:
            problems.append(f'country "{fields["country"]}" is not an ISO 3166 code')
    website = str(fields.get("website") or "").strip() or None
    if website and not _is_web_address(website):
        problems.append(f'website "{website}" is not a web address '
                        "(expected https://host/... or http://host/...)")
    about: dict[str, str] = {}
    raw_about = fields.get("about") or {}
    if not isinstance(raw_about, Mapping):
        problems.append("about must map languages to texts")
        raw_about = {}
    for lang, text in raw_about.items():
        tag = language_tag(str(lang))
        if tag is None:
            problems.append(f'about: "{lang}" is not a language tag such as fr or en')
        elif str(text).strip():
            about[tag] = str(text).strip()
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        problems.append(f"unknown field(s): {', '.join(sorted(unknown))}")
    if problems:
        return None, problems
    return Organization(name=name, short_name=short, country=country, website=website,
                        about=about), []


def _is_web_address(text: str) -> bool:
    """http(s) in any case ("HTTPS://..."), a host, and no space."""
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and " " not in text


def find_org(book: Book, ref: str) -> Organization:
    org = book.store.orgs.find(ref.strip())
    if org is None:
        raise NotFound(f'no organisation "{ref}"', hint="see `pressctl orgs list`")
    return org


def add_org(book: Book, fields: Mapping[str, object]) -> Organization:
    org, problems = validate_org(fields)
    if org is None:
        raise ProblemsFound(f"organisation not added: {'; '.join(problems)}",
                            [Problem("", p) for p in problems])
    with book.store.transaction():
        _refuse_clash(book, org)
        org.created = org.updated = book.now
        book.store.orgs.insert(org)
        record(book, ChangeAction.ADD, Subject.ORGANIZATION, org.stored_id,
               f"added {org.label}")
    return org


def edit_org(book: Book, ref: str, changes: Mapping[str, object], *,
             version: int | None = None) -> Organization:
    """Change the given fields; --about replaces the texts of the languages it names.

    Read and validated without the write lock, written only over the version read (or
    ``version``, the one the caller saw): another write in between refuses the edit
    (EditConflict, exit 3) and nothing is written."""
    current, read_version = read_with_version(book, ref)
    label = f"organisation #{current.id} {current.label}"
    if version is not None and version > read_version:
        raise InvalidInput(f"{label} is at version {read_version}, not {version}",
                           hint=f"see `pressctl orgs show {current.id}`")
    if version is not None and version < read_version:
        raise edit_conflict(book, Subject.ORGANIZATION, current.stored_id, label)
    about = dict(current.about)
    fields: dict[str, object] = {
        "name": current.name, "short_name": current.short_name, "country": current.country,
        "website": current.website, "about": about}
    for key, value in changes.items():
        if key == "about" and isinstance(value, Mapping):
            about.update(value)  # --about replaces the texts of the languages it names
        else:
            fields[key] = value  # validate_org refuses an "about" that is no mapping
    org, problems = validate_org(fields)
    if org is None:
        raise ProblemsFound(f"organisation not changed: {'; '.join(problems)}",
                            [Problem("", p) for p in problems])
    org.id, org.created, org.updated = current.id, current.created, book.now
    with book.store.transaction():
        _refuse_clash(book, org)
        if not book.store.orgs.replace(org, version=read_version):
            removed = book.store.orgs.version(current.stored_id) is None
            raise edit_conflict(book, Subject.ORGANIZATION, current.stored_id, label,
                                removed=removed)
        record(book, ChangeAction.EDIT, Subject.ORGANIZATION, current.stored_id,
               f"edited {org.label}: {_changed(current, org)}")
    return org


def read_with_version(book: Book, ref: str) -> tuple[Organization, int]:
    """The organisation ``ref`` names and its version, the version read first (see
    pressctl.book.contacts.read_with_version)."""
    found = find_org(book, ref)
    version = book.store.orgs.version(found.stored_id)
    current = book.store.orgs.get(found.stored_id) if version is not None else None
    if version is None or current is None:  # removed since it was found
        raise edit_conflict(book, Subject.ORGANIZATION, found.stored_id,
                            f"organisation #{found.id} {found.label}", removed=True)
    return current, version


def _changed(before: Organization, after: Organization) -> str:
    names = [label for name, label in (("name", "name"), ("short_name", "short name"),
                                       ("country", "country"), ("website", "website"))
             if getattr(before, name) != getattr(after, name)]
    names += [f"about ({lang})" for lang in sorted(set(before.about) | set(after.about))
              if before.about.get(lang) != after.about.get(lang)]
    return ", ".join(names) or "nothing changed"


def remove_org(book: Book, ref: str) -> RemovedOrg:
    """Remove an organisation; its contacts stay (their organisation text is kept)."""
    with book.store.transaction():
        org = find_org(book, ref)
        count = book.store.orgs.contact_count(org)
        book.store.orgs.delete(org.stored_id)
        record(book, ChangeAction.REMOVE, Subject.ORGANIZATION, org.stored_id,
               f"removed {org.label} ({count} contact(s) naming it kept)")
    return RemovedOrg(org, count)


def _refuse_clash(book: Book, org: Organization) -> None:
    for ref in filter(None, (org.name, org.short_name)):
        other = book.store.orgs.find(ref)
        if other is not None and other.id != org.id:
            raise InvalidInput(f'an organisation "{other.label}" (#{other.id}) already uses '
                               f'the name "{ref}"', hint="choose another name or short name")


def import_orgs(book: Book, path: Path) -> OrgImport:
    """Add or update organisations from a JSON list; all or nothing."""
    from pressctl.contacts.formats.csvfile import decode

    try:
        items = json.loads(decode(path.read_bytes(), str(path)))  # UTF-8, BOM or not
    except FileNotFoundError as err:
        raise InvalidInput(f"{path}: no such file") from err
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read ({err.strerror})") from err
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from err
    if not isinstance(items, list):
        raise InvalidInput(f"{path}: expected a list of organisations")
    orgs: list[Organization] = []
    problems: list[Problem] = []
    first_use: dict[str, int] = {}  # name or short name, case-folded -> organisation number
    for index, item in enumerate(items, 1):
        where = f"{path}: organisation {index}"
        if not isinstance(item, Mapping):
            problems.append(Problem(where, "expected an object with organisation fields"))
            continue
        org, found = validate_org(item)
        problems += [Problem(where, p) for p in found]
        for ref in filter(None, (org.name, org.short_name) if org else ()):
            if first_use.setdefault(ref.casefold(), index) != index:
                problems.append(Problem(where, f'the name "{ref}" is also used by '
                                               f"organisation {first_use[ref.casefold()]}"))
        if org is not None:  # else its problems are listed, and nothing is imported
            orgs.append(org)
    if problems:
        raise ProblemsFound(f"{path}: {len(problems)} problem(s), nothing imported", problems)
    added = updated = 0
    entries: list[NewChange] = []
    with book.store.transaction():
        for index, org in enumerate(orgs, 1):
            # The same short name, else the same name: an update; a name or short name
            # used by another organisation is refused (nothing is imported).
            existing = (book.store.orgs.find(org.short_name) if org.short_name else None) or \
                book.store.orgs.find(org.name)
            org.id = existing.id if existing else None
            try:
                _refuse_clash(book, org)
            except InvalidInput as err:
                problems.append(Problem(f"{path}: organisation {index}", err.message))
                continue
            org.updated = book.now
            if existing:
                org.id, org.created = existing.id, existing.created
                book.store.orgs.replace(org)
                updated += 1
                entries.append(NewChange(ChangeAction.IMPORT, Subject.ORGANIZATION, org.stored_id,
                                         f"updated {org.label} from {path}: "
                                         f"{_changed(existing, org)}"))
            else:
                org.created = book.now
                book.store.orgs.insert(org)
                added += 1
                entries.append(NewChange(ChangeAction.IMPORT, Subject.ORGANIZATION, org.stored_id,
                                         f"added {org.label} from {path}"))
        if problems:
            raise ProblemsFound(f"{path}: {len(problems)} problem(s), nothing imported", problems)
        record_changes(book, entries)
    return OrgImport(added, updated)
