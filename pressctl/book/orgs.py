"""Organisation use cases: the organisations whose press officers and "About" texts
the releases use.

Names: ``name`` and ``short_name`` are the canonical names, which contacts and commands
refer to. Each may also be given per language, in files as a mapping (``"short_name":
{"fr": "ASC", "en": "CSA"}``: the first entry is then the canonical one) or as
``names`` / ``short_names`` beside a canonical string (the form written back by
:func:`file_fields`). ``article`` (French only: le, la, l', les, none) and ``of`` (the
whole "of" form, "de l'Onera") make the French "du CNES" forms
(pressctl.contacts.french_forms). A per-language value is never empty: in a file or
``add`` an empty one is refused; ``edit`` takes an empty one as "remove this language".

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
from pressctl.contacts.french_forms import ARTICLES, OF_STARTS, is_of_form, normalise_article
from pressctl.contacts.model import Organization
from pressctl.contacts.regions import country_code, language_tag
from pressctl.errors import InvalidInput, NotFound, Problem, ProblemsFound

ORG_FIELDS = ("name", "names", "short_name", "short_names", "article", "of", "country",
              "website", "about")
PER_LANGUAGE = ("names", "short_names", "article", "of")  # edit merges these by language


# Named tuples rather than dataclasses: callers unpack them (`org, count = remove_org(...)`).
class RemovedOrg(NamedTuple):
    org: Organization
    contacts: int  # contacts naming it, which stay (their organisation text is kept)


class OrgImport(NamedTuple):
    added: int
    updated: int


def validate_org(fields: Mapping[str, object]) -> tuple[Organization | None, list[str]]:
    problems: list[str] = []
    name, names = _canonical_and_languages(fields, "name", "names", problems)
    if not name:
        problems.append("name is missing")
    short, short_names = _canonical_and_languages(fields, "short_name", "short_names", problems)
    article = {tag: value for tag, value in _per_language(
        fields.get("article"), "article", problems).items()
        if _french_article(tag, value, problems)}
    of = {tag: value for tag, value in _per_language(fields.get("of"), "of", problems).items()
          if _of_form_ok(tag, value, problems)}
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
    if problems or not name:  # no name is a problem listed above
        return None, problems
    return Organization(name=name, short_name=short, country=country, website=website,
                        about=about, names=names, short_names=short_names,
                        article={tag: normalise_article(v) or v for tag, v in article.items()},
                        of=of), []


def _canonical_and_languages(fields: Mapping[str, object], key: str, languages_key: str,
                             problems: list[str]) -> tuple[str | None, dict[str, str]]:
    """``name`` (a string, or a mapping whose first entry is the canonical name) and
    ``names`` (a mapping) -> the canonical name and the names by language."""
    raw = fields.get(key)
    by_language = _per_language(fields.get(languages_key), languages_key, problems)
    if isinstance(raw, Mapping):
        if fields.get(languages_key):
            problems.append(f"{key} is a mapping and {languages_key} is given too: write the "
                            f"names by language in one of them")
        by_language = _per_language(raw, key, problems)
        return next(iter(by_language.values()), None), by_language
    return (str(raw or "").strip() or None), by_language


def _per_language(raw: object, key: str, problems: list[str]) -> dict[str, str]:
    """A mapping language -> non-empty text, language tags normalised; problems listed."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(f'{key} must map languages to texts, such as {{"fr": "...", "en": "..."}}')
        return {}
    values: dict[str, str] = {}
    for lang, text in raw.items():
        tag = language_tag(str(lang))
        if tag is None:
            problems.append(f'{key}: "{lang}" is not a language tag such as fr or en')
        elif not isinstance(text, str):
            problems.append(f"{key} ({tag}) must be text, not "
                            f"{json.dumps(text, ensure_ascii=False, default=str)}")
        elif not text.strip():
            problems.append(f"{key} ({tag}) is empty: write it, or leave the language out")
        elif tag in values:
            problems.append(f'{key}: "{lang}" is given twice (as {tag})')
        else:
            values[tag] = " ".join(text.split())  # one line: it goes into headings
    return values


def _french_article(tag: str, value: str, problems: list[str]) -> bool:
    if tag.split("-")[0] != "fr":
        problems.append(f"article ({tag}): articles are for French names only (fr, fr-CA...)")
        return False
    if normalise_article(value) is None:
        problems.append(f'article ({tag}): "{value}" is not one of {", ".join(ARTICLES)}')
        return False
    return True


def _of_form_ok(tag: str, value: str, problems: list[str]) -> bool:
    if tag.split("-")[0] == "fr" and not is_of_form(value):
        problems.append(f'of ({tag}): "{value}" does not read as "of" + the name: start it '
                        f"with {', '.join(start.strip() for start in OF_STARTS)}")
        return False
    return True


def file_fields(org: Organization) -> dict[str, object]:
    """The organisation as the files `orgs import` reads hold it (what `orgs export` writes)."""
    return {"name": org.name, "names": dict(org.names), "short_name": org.short_name,
            "short_names": dict(org.short_names), "article": dict(org.article),
            "of": dict(org.of), "country": org.country, "website": org.website,
            "about": dict(org.about)}


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
    fields: dict[str, object] = {**file_fields(current), "about": about}
    for key, value in changes.items():
        if key == "about" and isinstance(value, Mapping):
            about.update(value)  # --about replaces the texts of the languages it names
        elif key in PER_LANGUAGE and isinstance(value, Mapping):
            fields[key] = _merged(fields[key], value)
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


def _merged(current: object, changes: Mapping[object, object]) -> dict[object, object]:
    """The languages ``changes`` names replaced; an empty text removes that language."""
    merged = dict(current) if isinstance(current, Mapping) else {}
    for lang, text in changes.items():
        tag = language_tag(str(lang))
        if tag is None:
            merged[lang] = text  # validate_org names the bad tag
        elif isinstance(text, str) and not text.strip():
            merged.pop(tag, None)
        else:
            merged[tag] = text
    return merged


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
    for name, label in (("names", "name"), ("short_names", "short name"),
                        ("article", "article"), ("of", "of"), ("about", "about")):
        old, new = getattr(before, name), getattr(after, name)
        names += [f"{label} ({lang})" for lang in sorted(set(old) | set(new))
                  if old.get(lang) != new.get(lang)]
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
