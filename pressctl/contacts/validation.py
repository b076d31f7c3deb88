"""What a valid contact is: one validation for every way a contact arrives
(``contacts add``, CSV, vCard, JSON, extraction), and the canonical kinds and tags that
the filters of `contacts list` use too.

Validation never raises for bad data: it returns the problems, so an import can list
every problem of every row in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pressctl.contacts.canonical import KIND_WORDS, normalise_tags
from pressctl.contacts.canonical import kind_of as kind_of  # where its users find it
from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.languages import known_language
from pressctl.contacts.model import KINDS, Contact, Phone
from pressctl.contacts.phones import parse_phone_field
from pressctl.contacts.regions import country_code, language_tag
from pressctl.errors import InvalidEmail, InvalidPhone

MAX_NAME = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_LIST_SPLIT = re.compile(r"[,;|]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LABELS = {"organization": "organisation", "emails": "e-mail", "phones": "phone",
           "first_name": "first name", "last_name": "last name", "_error": "record",
           "first_name_ok": "first name ok"}
MAX_SALUTATION = 200

_KIND_WORDS = KIND_WORDS  # pressctl.contacts.canonical
_TRUE = {"true", "yes", "y", "1", "x", "oui", "o", "ja", "sí", "si", "vrai", "✓"}
_FALSE = {"false", "no", "n", "0", "non", "nein", "faux", ""}


@dataclass(slots=True)
class Validated:
    """The outcome of validating one incoming record."""

    contact: Contact | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was cleaned, for the user
    # the contact's e-mail keys (pressctl.contacts.emails.email_key), in order
    email_keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


RegionFor = Callable[[str | None, str | None], str | None]
"""(contact country, organisation) -> the default phone region for that contact."""


def validate_fields(
    fields: Mapping[str, object],
    region_for: RegionFor,
    *,
    default_kind: str = "journalist",
    check_dns: bool = False,
) -> Validated:
    """Turn raw fields (see pressctl.contacts.formats.RAW_KEYS) into a normalised Contact."""
    problems = _unstorable(fields)
    if problems:  # checked first: every other message would quote the broken text
        return Validated(None, problems)
    notes: list[str] = []
    if fields.get("_error"):  # a reader's finding about the record's shape
        problems.append(str(fields["_error"]))

    name = _name(fields, problems)
    kind = _kind(_text(fields.get("kind")) or default_kind, problems)
    country = None
    country_text = _text(fields.get("country"))
    if country_text:
        country = country_code(country_text)
        if country is None:
            problems.append(f'country "{country_text}" is not an ISO 3166 code or known name')
    languages = []
    for item in _items(fields.get("languages")):
        tag = language_tag(item)
        if tag is None:
            problems.append(f'language "{item}" is not a BCP 47 tag such as fr, en or fr-CA')
        elif tag not in languages:
            languages.append(tag)
    organization = _single_line(fields.get("organization"), "organisation", problems)
    region = region_for(country, organization)

    emails: list[str] = []
    seen_keys: dict[str, None] = {}  # the keys of ``emails``, in order
    for text in _values(fields.get("emails")):
        try:
            cleaned = clean_email_field(text, check_dns=check_dns)
        except InvalidEmail as err:
            problems.append(str(err))
            continue
        for found in cleaned:
            key = email_key(found.normalized)
            if key not in seen_keys:
                seen_keys[key] = None
                emails.append(found.normalized)
            if found.cleaned:
                notes.append(
                    f"{found.input!r} -> {found.normalized} ({'; '.join(found.cleaned)})")

    phones: list[Phone] = []
    for text in _values(fields.get("phones")):
        try:
            parsed = parse_phone_field(text, region)
        except InvalidPhone as err:
            problems.append(str(err))
            continue
        for phone in parsed:
            if all((p.e164, p.extension) != (phone.e164, phone.extension) for p in phones):
                phones.append(phone)

    role = _single_line(fields.get("role"), "role", problems)
    roles = _roles(fields.get("roles"), problems)
    outlet = _single_line(fields.get("outlet"), "outlet", problems)
    # A vCard ORG from another address book: a journalist's outlet, anyone else's
    # organisation (only the kind, known here, says which); never over a stated value.
    affiliation = _single_line(fields.get("affiliation"), "organisation", problems)
    if affiliation and kind == "journalist" and not outlet:
        outlet = affiliation
    elif affiliation and not organization:
        organization = affiliation
    elif affiliation and not outlet and affiliation != organization:
        outlet = affiliation
    contact = Contact(
        name=name or "",
        kind=kind,
        role=role or next(iter(roles.values()), None),  # "as written": the first given
        roles=roles,
        organization=organization,
        outlet=outlet,
        tags=normalise_tags(_items(fields.get("tags"))),
        languages=languages,
        country=country,
        emails=emails,
        phones=phones,
        notes=_notes(fields.get("notes")),
        embargo_ok=_flag(fields.get("embargo_ok"), "embargo_ok", problems),
        opted_out=_flag(fields.get("opted_out"), "opted_out", problems),
        salutation=_salutation(fields.get("salutation"), problems),
        first_name_ok=_flag(fields.get("first_name_ok"), "first_name_ok", problems),
    )
    if problems:
        return Validated(None, problems, notes)
    return Validated(contact, problems, notes, list(seen_keys))


def role_entry(text: str) -> tuple[str, str] | str:
    """``"en=Press officer"`` -> ("en", "Press officer"), the language as a canonical tag;
    else the problem, as a sentence. An empty role ("en=") is a problem too: only an edit
    clears a language's role (pressctl.book.contacts)."""
    language, equals, role = text.partition("=")
    language, role = language.strip(), role.strip()
    example = 'write LANGUAGE=ROLE, e.g. en="Press officer"'
    if not equals:
        return f'"{text}" is not a role in a language: {example}'
    tag = language_tag(language) if language else None
    if tag is None or not known_language(tag):
        return (f'role language "{language}" is not a language code such as fr, en or '
                f"fr-CA: {example}")
    if not role:
        return f'role in "{tag}" is empty: {example}'
    return tag, role


def edited_roles(roles: Mapping[str, str], entries: object) -> tuple[list[str], list[str]]:
    """``roles`` once an edit's ``entries`` are applied: "en=Press officer" sets (or
    replaces, in its place) the role in en, "en=" removes it. Returns the raw
    "LANGUAGE=ROLE" texts (an entry that is not valid is passed on, for validation to say
    what is wrong with it) and the languages asked to be removed that had no role."""
    result = dict(roles)
    invalid, missing = [], []
    for text in _values(entries):
        language, equals, role = text.partition("=")
        tag = language_tag(language) if equals and language.strip() else None
        if tag is None or not known_language(tag):
            invalid.append(text)
        elif role.strip():
            result[tag] = role.strip()
        elif tag in result:
            del result[tag]
        else:
            missing.append(tag)
    return [f"{tag}={role}" for tag, role in result.items()] + invalid, missing


def _roles(value: object, problems: list[str]) -> dict[str, str]:
    """Raw "roles" (a list of "LANGUAGE=ROLE" texts) -> {tag: role}; one role a language."""
    roles: dict[str, str] = {}
    for text in _values(value):
        entry = role_entry(text)
        if isinstance(entry, str):
            problems.append(entry)
            continue
        tag, role = entry
        checked = _single_line(role, f"role in {tag}", problems)
        if checked is None:
            continue
        if tag in roles and roles[tag] != checked:
            problems.append(f'two roles in "{tag}" ("{roles[tag]}" and "{checked}"): '
                            "keep one")
            continue
        roles[tag] = checked
    return roles


def _salutation(value: object, problems: list[str]) -> str | None:
    text = _single_line(value, "salutation", problems)
    if text is not None and len(text) > MAX_SALUTATION:
        problems.append(f"salutation is longer than {MAX_SALUTATION} characters")
        return None
    return text


def _unstorable(fields: Mapping[str, object]) -> list[str]:
    """Text no file or database can hold: lone surrogates (what Python makes of bytes that
    are not UTF-8 in a command-line argument, or a broken JSON "\\udcff" escape) and NUL
    characters. One problem per field, naming it; the text is shown escaped."""
    texts: list[object] = []
    for value in fields.values():
        if isinstance(value, list):
            texts.extend(value)
        else:
            texts.append(value)
    try:  # most records: every value text, none holding such text (one search)
        if not _UNSTORABLE.search("".join(texts)):  # type: ignore[arg-type]
            return []
    except TypeError:  # a flag, None: each value in turn, as below
        pass
    problems = []
    for key, value in fields.items():
        for text in value if isinstance(value, list) else [value]:
            found = _UNSTORABLE.search(str(text)) if text is not None else None
            if found is None:
                continue
            label = _LABELS.get(key, key)
            char = found.group()
            shown = _UNSTORABLE.sub(lambda m: ascii(m.group())[1:-1], str(text))
            if char == "\x00":
                problems.append(f'{label} "{shown}" contains a NUL character (\\x00): remove it')
            else:
                problems.append(
                    f'{label} "{shown}" is not valid text: {ascii(char)[1:-1]} is a lone '
                    "surrogate (bytes that are not UTF-8, or a broken \\u escape): write it "
                    "in UTF-8")
            break  # one problem per field is enough to fix it
    return problems


def _text(value: object) -> str:
    if value.__class__ is str:  # most values: spared the checks below
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value).strip()


def _values(value: object) -> list[str]:
    if value.__class__ is str:
        return [value] if value.strip() else []
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if str(v).strip()]


def _items(value: object) -> list[str]:
    out: list[str] = []
    for text in _values(value):
        out.extend(part.strip() for part in _LIST_SPLIT.split(text) if part.strip())
    return out


def _name(fields: Mapping[str, object], problems: list[str]) -> str | None:
    name = _text(fields.get("name"))
    if not name:
        name = " ".join(
            part for part in (_text(fields.get("first_name")), _text(fields.get("last_name")))
            if part
        )
    if not name:
        problems.append("name is missing")
        return None
    if name.isprintable() and "  " not in name and len(name) <= MAX_NAME:
        return name  # no control character, line break nor run of spaces: as it is
    if _LINE_BREAK.search(name) or _CONTROL.search(name):
        problems.append(f"name {name!r} contains a line break or control character")
        return None
    name = _SPACES.sub(" ", name)
    if len(name) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
        return None
    return name


def _single_line(value: object, label: str, problems: list[str]) -> str | None:
    text = _text(value)
    if not text:
        return None
    if text.isprintable() and "  " not in text:
        return text  # no control character, line break nor space but single " ": as it is
    if _LINE_BREAK.search(text) or _CONTROL.search(text):
        problems.append(f"{label} {text!r} contains a line break or control character")
        return None
    return _SPACES.sub(" ", text)


def _notes(value: object) -> str | None:
    text = _text(value)
    return _CONTROL.sub("", text.replace("\r\n", "\n")) or None


def _kind(text: str, problems: list[str]) -> str:
    kind = _KIND_WORDS.get(text.strip().casefold())
    if kind is None:
        problems.append(f'kind "{text}" is not one of {", ".join(KINDS)}')
        return "other"
    return kind


def _flag(value: object, label: str, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f'{label} "{text}" is not true or false')
    return False
