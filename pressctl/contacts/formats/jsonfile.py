"""JSON contact files: a list of contact objects (or ``{"contacts": [...]}``).

A role per language is an object, under "roles" (as written by export, beside "role",
the role as written) or under "role" itself: ``"role": {"fr": "Attachée de presse",
"en": "Press officer"}`` (its first entry is then the role as written).

Each object's line is found by decoding the list element by element, so a problem can be
reported as ``file.json:LINE``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring  # the C version when there is one
from typing import Any

from pressctl.contacts.contact_rows import ContactRow, json_strings, languages_of, scan
from pressctl.contacts.formats import RAW_KEYS, RawRecord
from pressctl.contacts.model import Contact, Phone
from pressctl.errors import InvalidInput

_ALIASES = {"email": "emails", "phone": "phones", "organisation": "organization",
            "language": "languages", "tag": "tags", "beats": "tags"}
_IGNORED = {"id", "created", "updated"}
_REJECT_KEYS = {"line", "error", "record"}
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def read_json(text: str, source: str) -> list[RawRecord]:
    decoder = json.JSONDecoder()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{source}:{err.lineno}: invalid JSON ({err.msg})") from err
    if isinstance(document, dict) and isinstance(document.get("contacts"), list):
        start = _member_start(text, "contacts")
    elif isinstance(document, list):
        start = text.index("[")
    else:
        raise InvalidInput(
            f"{source}:1: expected a list of contacts or an object with a \"contacts\" list"
        )
    records = []
    pos = _skip_space(text, start + 1)
    line = 1 + text.count("\n", 0, pos)
    while text[pos] != "]":
        item, end = decoder.raw_decode(text, pos)
        records.append(_record(item, line, text[pos:end], source))
        following = _skip_space(text, end)
        if text[following] == ",":
            following = _skip_space(text, following + 1)
        line += text.count("\n", pos, following)
        pos = following
    return records


def _member_start(text: str, name: str) -> int:
    """Where the value of the document's member ``name`` starts (the last one, like json.loads).

    Searching the text for '"contacts"' would stop at an earlier value or nested key
    of that name ({"type": "contacts", "groups": [...], "contacts": [...]}).
    """
    decoder = json.JSONDecoder()
    found = -1
    pos = _skip_space(text, _skip_space(text, 0) + 1)  # after "{"
    while text[pos] != "}":
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip_space(text, _skip_space(text, pos) + 1)  # after ":"
        if key == name:
            found = pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_space(text, pos)
        if text[pos] == ",":
            pos = _skip_space(text, pos + 1)
    return found


def _skip_space(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


def _record(item: object, line: int, raw: str, source: str) -> RawRecord:
    if isinstance(item, dict) and "record" in item and set(item) <= _REJECT_KEYS:
        # An entry of a rejects file ({"line", "error", "record"}), fixed and imported again.
        item = item["record"]
        raw = json.dumps(item, ensure_ascii=False)
    if not isinstance(item, dict):
        return RawRecord(line, {"_error": "expected an object with contact fields"}, raw)
    fields: dict[str, str | list[str]] = {}
    unknown = []
    roles: list[str] = []
    for key, value in item.items():
        canonical = _ALIASES.get(key, key)
        if canonical in _IGNORED:
            continue
        if canonical not in RAW_KEYS:
            unknown.append(key)
            continue
        if canonical in ("role", "roles") and isinstance(value, dict):
            # {"fr": "Attachée de presse", "en": "Press officer"}: a role per language.
            roles += [f"{lang}={text}" for lang, text in value.items() if text is not None]
        elif canonical == "roles":
            roles += [str(v) for v in _as_list(value)]  # "en=Press officer", as --role-lang
        elif canonical == "phones":
            fields["phones"] = [_phone_text(p) for p in _as_list(value)]
        elif canonical in ("emails", "tags", "languages"):
            fields[canonical] = [str(v) for v in _as_list(value)]
        elif isinstance(value, bool):
            fields[canonical] = "true" if value else "false"
        elif value is not None:
            fields[canonical] = str(value)
    if roles:
        fields["roles"] = roles
    if unknown:
        fields["_error"] = f"unknown field(s) {', '.join(sorted(unknown))}"
    return RawRecord(line, fields, raw)


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _phone_text(value: object) -> str:
    """A phone as a string, or as an object written by export ({"e164", "extension", "type"})."""
    if not isinstance(value, dict):
        return str(value)
    number = str(value.get("e164") or value.get("number") or "")
    if value.get("extension"):
        number += f" ext. {value['extension']}"
    if value.get("label"):
        number += f" ({value['label']})"
    prefix = {"mobile": "Mobile: ", "fax": "Fax: "}.get(str(value.get("type")), "")
    return prefix + number


def contact_to_json(contact: Contact, phone_text: Callable[[Phone], str]) -> dict[str, object]:
    return {
        "id": contact.id,
        "name": contact.name,
        "kind": contact.kind,
        "role": contact.role,
        "roles": dict(contact.roles),
        "organization": contact.organization,
        "outlet": contact.outlet,
        "emails": list(contact.emails),
        "phones": [
            {"e164": p.e164, "extension": p.extension, "type": p.type, "label": p.label,
             "display": phone_text(p)}
            for p in contact.phones
        ],
        "tags": list(contact.tags),
        "languages": list(contact.languages),
        "country": contact.country,
        "notes": contact.notes,
        "embargo_ok": contact.embargo_ok,
        "opted_out": contact.opted_out,
        "salutation": contact.salutation,
        "first_name_ok": contact.first_name_ok,
        "created": contact.created,
        "updated": contact.updated,
    }


def write_json(contacts: Iterable[Contact], phone_text: Callable[[Phone], str]) -> Iterator[str]:
    """Yield a JSON list of contacts, one object per chunk (streams large books)."""
    encode = _ENCODER.encode  # json.dumps(..., ensure_ascii=False) without a new encoder each
    yield "["
    first = True
    for contact in contacts:
        yield ("\n  " if first else ",\n  ") + encode(contact_to_json(contact, phone_text))
        first = False
    yield "\n]\n" if not first else "]\n"


def write_json_rows(rows: Iterable[ContactRow],
                    number: Callable[[list[Any]], str]) -> Iterator[str]:
    """:func:`write_json` of the store's rows (pressctl.contacts.contact_rows): the same
    text, each object written from its row (:func:`contact_row_json`)."""
    yield "["
    first = True
    for row in rows:
        yield ("\n  " if first else ",\n  ") + contact_row_json(row, number)
        first = False
    yield "\n]\n" if not first else "]\n"


class _Layout:
    """Where contact_row_json puts its separators: on one line as ``json.dumps`` writes
    by default, or indented as ``json.dumps(..., indent=2)`` writes an object at
    ``indent``."""

    def __init__(self, indent: str | None) -> None:
        if indent is None:
            self.members = ", "
            self.open, self.close = "{", "}"
            self.list_open, self.items, self.list_close = "[", ", ", "]"
            self.phone_open, self.phone_members, self.phone_close = "{", ", ", "}"
            self.object_indent: str | None = None
            return
        member, item, field = indent + "  ", indent + "    ", indent + "      "
        self.members = ",\n" + member
        self.open, self.close = "{\n" + member, "\n" + indent + "}"
        self.list_open, self.items = "[\n" + item, ",\n" + item
        self.list_close = "\n" + member + "]"
        self.phone_open, self.phone_members = "{\n" + field, ",\n" + field
        self.phone_close = "\n" + item + "}"
        self.object_indent = member


_LAYOUTS: dict[str | None, _Layout] = {}


def contact_row_json(row: ContactRow, display: Callable[[list[Any]], str],
                     indent: str | None = None) -> str:
    """``json.dumps(contact_to_json(contact, ...), ensure_ascii=False)`` of the row's
    contact (with ``indent``: ``indent=2``, the object read at ``indent``), written
    from the row: the e-mails and tags spliced from the database's JSON where it holds
    no escape (contact_rows.json_strings), every string through the json module's C
    encoder. ``display`` is the "display" of a phone's JSON row."""
    layout = _LAYOUTS.get(indent)
    if layout is None:
        layout = _LAYOUTS[indent] = _Layout(indent)
    enc = encode_basestring
    (cid, name, kind, role, organization, outlet, languages, country, notes, embargo_ok,
     opted_out, created, updated, salutation, first_name_ok, emails, phones, tags,
     roles) = row
    items, list_open, list_close = layout.items, layout.list_open, layout.list_close
    if phones == "[]":
        phone_text = "[]"
    else:
        opened, between = layout.phone_open, layout.phone_members
        phone_text = list_open + items.join([
            opened + '"e164": ' + enc(e164) + between + '"extension": '
            + ("null" if extension is None else enc(extension)) + between + '"type": '
            + ("null" if kind_ is None else enc(kind_)) + between + '"label": '
            + ("null" if label is None else enc(label)) + between + '"display": '
            + enc(display(phone)) + layout.phone_close
            for phone in scan(phones, 0)[0]
            for e164, extension, kind_, label, *_ in (phone,)]) + list_close
    between = layout.members
    return "".join([
        layout.open, '"id": ', "null" if cid is None else str(cid),
        between, '"name": ', "null" if name is None else enc(name),
        between, '"kind": ', "null" if kind is None else enc(kind),
        between, '"role": ', "null" if role is None else enc(role),
        between, '"roles": ', "{}" if roles == "{}" else _roles(roles, layout),
        between, '"organization": ', "null" if organization is None else enc(organization),
        between, '"outlet": ', "null" if outlet is None else enc(outlet),
        between, '"emails": ', _strings(emails, layout),
        between, '"phones": ', phone_text,
        between, '"tags": ', _strings(tags, layout),
        between, '"languages": ', _list(languages_of(languages), layout),
        between, '"country": ', "null" if country is None else enc(country),
        between, '"notes": ', "null" if notes is None else enc(notes),
        between, '"embargo_ok": ', "true" if embargo_ok else "false",
        between, '"opted_out": ', "true" if opted_out else "false",
        between, '"salutation": ', "null" if salutation is None else enc(salutation),
        between, '"first_name_ok": ', "true" if first_name_ok else "false",
        between, '"created": ', "null" if created is None else enc(created),
        between, '"updated": ', "null" if updated is None else enc(updated),
        layout.close])


def _strings(text: str, layout: _Layout) -> str:
    """A JSON array of strings from the database, in the layout."""
    if text == "[]":
        return "[]"
    spliced = json_strings(text)
    if spliced is None:
        return _list(scan(text, 0)[0], layout)
    if layout.object_indent is None:
        return spliced
    return layout.list_open + spliced[1:-1].replace('", "', '"' + layout.items + '"') \
        + layout.list_close


def _list(values: list[str], layout: _Layout) -> str:
    if not values:
        return "[]"
    return layout.list_open + layout.items.join(map(encode_basestring, values)) \
        + layout.list_close


def _roles(text: str, layout: _Layout) -> str:
    roles = scan(text, 0)[0]
    if layout.object_indent is None:
        return _ENCODER.encode(roles)
    return json.dumps(roles, ensure_ascii=False, indent=2).replace(
        "\n", "\n" + layout.object_indent)
