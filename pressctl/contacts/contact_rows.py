"""A contact as the store reads it for an export or `contacts list --json`: one row, its
e-mails, phones, tags and roles still the JSON texts the database aggregated them into
(issue 12). The writers (pressctl.contacts.formats: csvfile, jsonfile, vcard_writer)
go from such a row to their text directly: no Contact, no Phone, no dict to encode.

What the texts hold (pressctl.store.listing writes the SQL): ``emails`` and ``tags`` a
JSON array of strings, ``phones`` a JSON array of [e164, extension, type, label,
international, national, region], ``roles`` a JSON object language -> role; "[]" /
"{}" when there are none. SQLite writes them compact (``["a","b"]``), PostgreSQL with a
space after each comma (``["a", "b"]``); both write a string's characters as they are,
escaping only ``"``, ``\\`` and control characters, as the json module does with
``ensure_ascii=False``: an array with no backslash in it is, once its separators are
made ", ", the very text ``json.dumps`` writes for its list (:func:`json_strings`).

Pure: no I/O; importing this module imports no third-party package.
"""

from __future__ import annotations

from collections.abc import Callable
from json.decoder import JSONDecoder
from typing import Any, NamedTuple

from pressctl.contacts.model import Phone
from pressctl.contacts.phone_forms import formatter, from_forms, normal_region

# (text, index) -> (value, end): the json module's C scanner (see pressctl.store.listing).
scan: Callable[[str, int], tuple[Any, int]] = JSONDecoder().scan_once  # type: ignore[attr-defined]
# What an international form puts between the digits of its number ("+1 202-358-1600").
_FORM_MARKS = str.maketrans("", "", " -()./")


class ContactRow(NamedTuple):
    """One contact, every column of it, as Contact names them; the lists as JSON texts
    (see the module docstring) and ``languages`` as stored (comma-separated)."""

    id: int
    name: str
    kind: str
    role: str | None
    organization: str | None
    outlet: str | None
    languages: str | None
    country: str | None
    notes: str | None
    embargo_ok: Any  # 0/1 from SQLite, a bool from PostgreSQL
    opted_out: Any
    created: str | None
    updated: str | None
    salutation: str | None
    first_name_ok: Any
    emails: str
    phones: str
    tags: str
    roles: str


def languages_of(stored: str | None) -> list[str]:
    """The languages of a row as Contact has them (empty entries left out)."""
    if not stored:
        return []
    listed = stored.split(",")
    return [x for x in listed if x] if "" in listed else listed


def strings_of(text: str) -> list[str]:
    """A JSON array of strings (e-mails, tags) as a list. Without a backslash in it, no
    string holds a quote or an escape: the items are what lies between its '","' (or
    PostgreSQL's '", "'), split without decoding."""
    if text == "[]":
        return []
    if "\\" in text:
        return scan(text, 0)[0]
    return text[2:-2].replace('", "', '","').split('","')


def json_strings(text: str) -> str | None:
    """A JSON array of strings as ``json.dumps(..., ensure_ascii=False)`` writes it
    (``["a", "b"]``), from the database's text without decoding it, when it holds no
    escape; None when it does (the caller decodes it and encodes the items)."""
    if "\\" in text:
        return None
    # No backslash: no string holds a quote, so '","' is only ever a separator.
    return text.replace('","', '", "')


def phone_of(stored: list[Any]) -> Phone:
    """A Phone from its JSON row, with the display forms stored beside it (migration
    0017) when they can be trusted: the international one holds the very digits of the
    number. Not NULL ones (written before 0017), nor forms left beside a number changed
    by hand or by `contacts forget` (its token): such a number is shown as before 0017,
    from a parse (:func:`number_text` holds the same rule)."""
    e164, extension, kind, label, international, national, region = stored
    trusted = international is not None and international.translate(_FORM_MARKS) == e164
    return Phone(e164, extension, kind, label,
                 (international, national, region) if trusted else None)


def number_text(style: str, own_country: str | None = None) -> Callable[[list[Any]], str]:
    """pressctl.contacts.phone_forms.formatter for a phone's JSON row: the number in
    ``style`` with its extension (" ext. 5"), from its trusted stored forms, else as
    the formatter shows a number without them (a parse)."""
    show = formatter(style, own_country)  # checks the style
    own_region = normal_region(own_country) or ""

    if style == "international":  # exports: the stored form as it is
        def international_text(stored: list[Any]) -> str:
            e164, extension, _, _, international, _, _ = stored
            if international is None or international.translate(_FORM_MARKS) != e164:
                return show(phone_of(stored))
            return f"{international} ext. {extension}" if extension else international

        return international_text

    def text(stored: list[Any]) -> str:
        e164, extension, _, _, international, national, region = stored
        if style == "e164":
            shown = e164
        elif international is not None and international.translate(_FORM_MARKS) == e164:
            shown = from_forms((international, national, region), style, own_region)
        else:
            return show(phone_of(stored))
        return f"{shown} ext. {extension}" if extension else shown

    return text
