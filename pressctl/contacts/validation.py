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

from pressctl.contacts.emails import clean_email_field, email_key
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
           "first_name": "first name", "last_name": "last name", "_error": "record"}

_KIND_WORDS = {
    "officer": "officer", "press officer": "officer", "press-officer": "officer",
    "attaché de presse": "officer", "attachée de presse": "officer",
    "journalist": "journalist", "journaliste": "journalist", "journalistin": "journalist",
    "giornalista": "journalist", "periodista": "journalist", "press": "journalist",
    "other": "other", "autre": "other",
}
_TRUE = {"true", "yes", "y", "1", "x", "oui", "o", "ja", "sí", "si", "vrai", "✓"}
_FALSE = {"false", "no", "n", "0", "non", "nein", "faux", ""}


@dataclass(slots=True)
class Validated:
    """The outcome of validating one incoming record."""

    contact: Contact | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was cleaned, for the user

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
    seen_keys: set[str] = set()
    for text in _values(fields.get("emails")):
        try:
            cleaned = clean_email_field(text, check_dns=check_dns)
        except InvalidEmail as err:
            problems.append(str(err))
            continue
        for found in cleaned:
            key = email_key(found.normalized)
            if key not in seen_keys:
                seen_keys.add(key)
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

    contact = Contact(
        name=name or "",
        kind=kind,
        role=_single_line(fields.get("role"), "role", problems),
        organization=organization,
        outlet=_single_line(fields.get("outlet"), "outlet", problems),
        tags=normalise_tags(_items(fields.get("tags"))),
        languages=languages,
        country=country,
        emails=emails,
        phones=phones,
        notes=_notes(fields.get("notes")),
        embargo_ok=_flag(fields.get("embargo_ok"), "embargo_ok", problems),
        opted_out=_flag(fields.get("opted_out"), "opted_out", problems),
    )
    return Validated(None if problems else contact, problems, notes)


def _unstorable(fields: Mapping[str, object]) -> list[str]:
    """Text no file or database can hold: lone surrogates (what Python makes of bytes that
    are not UTF-8 in a command-line argument, or a broken JSON "\\udcff" escape) and NUL
    characters. One problem per field, naming it; the text is shown escaped."""
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


def normalise_tags(items: list[str]) -> list[str]:
    tags: list[str] = []
    for item in items:
        tag = _SPACES.sub("-", item.strip().casefold())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value).strip()


def _values(value: object) -> list[str]:
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


def kind_of(text: str) -> str | None:
    """The canonical kind for a word people use, or None."""
    return _KIND_WORDS.get(text.strip().casefold())
