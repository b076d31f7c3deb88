"""vCard files: read 2.1, 3.0 and 4.0 cards into RawRecords (the writer of 3.0 and 4.0
cards is pressctl.contacts.formats.vcard_writer; its names are importable from here too).

The reader is deliberately forgiving about what real address books emit (Apple groups,
Outlook's vCard 2.1 quoted-printable, bare 2.1 parameters) and only strict about the card
structure itself, because a broken structure means we cannot tell where contacts start.
Values are passed on as written; judging them is the job of :mod:`pressctl.contacts.validation`.

What other address books show: ``ORG`` is a journalist's outlet and anyone else's
organisation (both are also kept exactly in X-PRESSCTL-OUTLET and X-PRESSCTL-ORGANIZATION);
``TITLE`` the role as written, then one ``TITLE;LANGUAGE=xx`` per role in another language;
``ROLE`` the profession, from the kind ("Journalist", "Press officer"). Reading, an ORG
beside neither is the outlet of a journalist and the organisation of anyone else (decided
in validation, where the kind is known); in a card pressctl wrote before ORG named outlets
(X-PRESSCTL-KIND without X-PRESSCTL-ORGANIZATION), ORG is the organisation, as it was.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from pressctl.contacts.formats import RawRecord

# The writer, in its own module: named here too, where callers and tests found it.
from pressctl.contacts.formats.vcard_writer import _ROLE_OF_KIND
from pressctl.contacts.formats.vcard_writer import _UID_NAMESPACE as _UID_NAMESPACE
from pressctl.contacts.formats.vcard_writer import MAX_LINE_OCTETS as MAX_LINE_OCTETS
from pressctl.contacts.formats.vcard_writer import PRODID as PRODID
from pressctl.contacts.formats.vcard_writer import (
    SUPPORTED_WRITE_VERSIONS as SUPPORTED_WRITE_VERSIONS,
)
from pressctl.contacts.formats.vcard_writer import _contact_uid as _contact_uid
from pressctl.contacts.formats.vcard_writer import _escape as _escape
from pressctl.contacts.formats.vcard_writer import _fold as _fold
from pressctl.contacts.formats.vcard_writer import iter_vcards as iter_vcards
from pressctl.contacts.formats.vcard_writer import write_vcards as write_vcards
from pressctl.errors import Problem, ProblemsFound

# vCard 2.1 allows parameters without a name ("TEL;CELL;VOICE:"); these bare values are
# encodings, everything else is a type.
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_MOBILE_TYPES = {"cell", "mobile", "iphone"}
_NOT_PREFERRED = 101  # RFC 6350 PREF runs from 1 (most preferred) to 100

# ROLE, the profession (Outlook's "Profession" field), says the kind of contact
# (vcard_writer writes it from the kind).
_KIND_OF_ROLE = {text.casefold(): kind for kind, text in _ROLE_OF_KIND.items()}

_PHYSICAL_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
_TEXT_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(slots=True)
class _LogicalLine:
    first_line: int
    last_line: int
    content: str


@dataclass(slots=True)
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str  # still backslash-escaped, but already quoted-printable decoded

    @property
    def types(self) -> set[str]:
        return {value.lower() for value in self.params.get("TYPE", [])}

    @property
    def preference(self) -> int:
        for raw in self.params.get("PREF", []):
            if raw.strip().isdigit():
                return int(raw)
        return 1 if "pref" in self.types else _NOT_PREFERRED


@dataclass(slots=True)
class _OpenCard:
    first_line: int
    properties: list[_Property] = field(default_factory=list)


def read_vcards(text: str) -> list[RawRecord]:
    """Parse every card of a vCard 2.1/3.0/4.0 file into a RawRecord.

    Raises ProblemsFound, listing every structural problem with its line, when a card
    is not closed, an END has no BEGIN, a line has no ':' or a property stands outside
    any card. Unknown properties are ignored.
    """
    physical = _physical_lines(text.removeprefix("\ufeff"))
    records: list[RawRecord] = []
    problems: list[tuple[int, str]] = []
    card: _OpenCard | None = None
    unclosed = "BEGIN:VCARD without END:VCARD"

    for logical in _unfold(physical):
        if not logical.content.strip():
            continue
        prop = _parse_content_line(logical.content)
        if prop is None:
            problems.append((logical.first_line, "content line without ':'"))
        elif prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            if card is not None:
                problems.append((card.first_line, unclosed))
            card = _OpenCard(logical.first_line)
        elif prop.name == "END" and prop.value.strip().upper() == "VCARD":
            if card is None:
                problems.append((logical.first_line, "END:VCARD without BEGIN:VCARD"))
                continue
            card_text = "".join(physical[card.first_line - 1 : logical.last_line])
            records.append(RawRecord(card.first_line, _fields(card.properties), card_text))
            card = None
        elif card is None:
            problems.append((logical.first_line, f"{prop.name} outside BEGIN:VCARD/END:VCARD"))
        else:
            card.properties.append(prop)

    if card is not None:
        problems.append((card.first_line, unclosed))
    if problems:
        raise ProblemsFound(
            f"{len(problems)} problem(s) in the vCard file",
            [Problem(f"line {line}", message) for line, message in sorted(problems)],
        )
    return records


def _physical_lines(text: str) -> list[str]:
    """Lines with their own line endings kept, so a card's text can be rebuilt exactly."""
    # Only the match at the very end can be empty: every other one consumes a line break.
    return [match.group(0) for match in _PHYSICAL_LINE.finditer(text) if match.group(0)]


def _unfold(physical: list[str]) -> list[_LogicalLine]:
    logical: list[_LogicalLine] = []
    for number, raw in enumerate(physical, start=1):
        line = raw.rstrip("\r\n")
        previous = logical[-1] if logical else None
        if previous is not None and _ends_with_soft_break(previous.content):
            # Quoted-printable soft break: the '=' and the line break disappear, and the
            # next line is data even if it starts with a space.
            previous.content = previous.content[:-1] + line
            previous.last_line = number
        elif previous is not None and line[:1] in (" ", "\t"):
            previous.content += line[1:]
            previous.last_line = number
        else:
            logical.append(_LogicalLine(number, number, line))
    return logical


def _ends_with_soft_break(content: str) -> bool:
    head = content.split(":", 1)[0]
    return content.endswith("=") and "QUOTED-PRINTABLE" in head.upper()


def _parse_content_line(content: str) -> _Property | None:
    head_and_value = _split_unquoted(content, ":", maxsplit=1)
    if len(head_and_value) < 2:  # an unbalanced quote hides the colon: take the first one
        head_and_value = content.split(":", 1)
    if len(head_and_value) < 2:
        return None
    head, value = head_and_value
    name, *raw_params = _split_unquoted(head, ";")
    params: dict[str, list[str]] = {}
    for raw_param in raw_params:
        key, has_equals, raw_values = raw_param.partition("=")
        if not has_equals:
            raw_values = key
            key = "ENCODING" if key.strip().upper() in _BARE_ENCODINGS else "TYPE"
        values = [piece.strip().strip('"') for piece in _split_unquoted(raw_values, ",")]
        params.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    encodings = {value.upper() for value in params.get("ENCODING", [])}
    if "QUOTED-PRINTABLE" in encodings:
        value = _decode_quoted_printable(value, params.get("CHARSET", ["utf-8"])[0])
    # Groups ("item1.EMAIL") only tie Apple labels to values; the property is what counts.
    bare_name = name.strip().rsplit(".", 1)[-1].upper()
    return _Property(bare_name, params, value)


def _split_unquoted(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    """Split outside double quotes: 4.0 parameter values may be quoted and contain ':;,'."""
    pieces: list[str] = []
    start, quoted = 0, False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted and len(pieces) != maxsplit:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def _decode_quoted_printable(value: str, charset: str) -> str:
    data = quopri.decodestring(value.encode("utf-8"))
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        # Exporters lie about charsets; Latin-1 never fails, so the text stays reviewable.
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n")  # Outlook encodes note line breaks as =0D=0A


def _unescape(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char in "nN":
            return "\n"
        # Unknown escapes keep their backslash: they are more likely a literal backslash
        # from a careless exporter (a Windows path in a note) than an escape.
        return char if char in ",;:\\" else match.group(0)

    return _TEXT_ESCAPE.sub(replace, raw)


def _split_escaped(raw: str, separator: str) -> list[str]:
    """Split on separators that are not backslash-escaped; the pieces stay escaped."""
    piece = re.compile(rf"((?:\\.?|[^\\{separator}])*)({separator}|\Z)", re.DOTALL)
    pieces: list[str] = []
    for match in piece.finditer(raw):
        pieces.append(match.group(1))
        if not match.group(2):
            return pieces
    return pieces


def _components(prop: _Property) -> list[str]:
    """Components of a structured value (N, ADR, ORG). Only N components are comma lists
    ("Jean,Pierre" given names become words); an unescaped comma in ORG or ADR, which
    careless exporters write, is kept as text."""
    components: list[str] = []
    for component in _split_escaped(prop.value, ";"):
        if prop.name == "N":
            items = (_unescape(item).strip() for item in _split_escaped(component, ","))
            components.append(" ".join(item for item in items if item))
        else:
            components.append(_unescape(component).strip())
    return components


def _text_list(prop: _Property) -> list[str]:
    items = (_unescape(item).strip() for item in _split_escaped(prop.value, ","))
    return [item for item in items if item]


def _fields(properties: list[_Property]) -> dict[str, str | list[str]]:
    by_name: dict[str, list[_Property]] = {}
    for prop in sorted(properties, key=lambda p: p.preference):  # stable: file order kept
        by_name.setdefault(prop.name, []).append(prop)

    def texts(name: str) -> list[str]:
        values = (_unescape(prop.value).strip() for prop in by_name.get(name, []))
        return [value for value in values if value]

    def component(name: str, index: int) -> str:
        for prop in by_name.get(name, []):
            parts = _components(prop)
            if index < len(parts) and parts[index]:
                return parts[index]
        return ""

    fields: dict[str, str | list[str]] = {}

    def put(key: str, value: str) -> None:
        if value:
            fields[key] = value

    family, given = component("N", 0), component("N", 1)
    put("name", next(iter(texts("FN")), "") or " ".join(filter(None, [given, family])))
    put("first_name", given)
    put("last_name", family)
    titles = by_name.get("TITLE", [])
    plain_titles = [_unescape(t.value).strip() for t in titles if not t.params.get("LANGUAGE")]
    roles = [f"{t.params['LANGUAGE'][0]}={_unescape(t.value).strip()}" for t in titles
             if t.params.get("LANGUAGE") and t.value.strip()]
    kind = next(iter(texts("X-PRESSCTL-KIND")), "")
    role_texts = texts("ROLE")
    # ROLE is the profession (Outlook's "Profession"): pressctl writes the kind there.
    kind_role = next((_KIND_OF_ROLE[t.casefold()] for t in role_texts
                      if t.casefold() in _KIND_OF_ROLE), "")
    other_roles = [t for t in role_texts if t.casefold() not in _KIND_OF_ROLE]
    put("role", next(iter([t for t in plain_titles if t] or ([] if titles else other_roles)),
                     ""))
    if roles:
        fields["roles"] = roles
    outlet = next(iter(texts("X-PRESSCTL-OUTLET")), "")
    organization = next(iter(texts("X-PRESSCTL-ORGANIZATION")), "")
    org = component("ORG", 0)
    if org and org not in (outlet, organization):
        if kind and not organization:
            organization = org  # written by pressctl before ORG named outlets: ORG was it
        else:
            fields["affiliation"] = org  # the kind decides (see RAW_KEYS)
    put("organization", organization)
    put("outlet", outlet)
    fields["emails"] = texts("EMAIL")
    fields["phones"] = [_phone_text(prop) for prop in by_name.get("TEL", []) if prop.value.strip()]
    put("tags", ",".join(tag for prop in by_name.get("CATEGORIES", []) for tag in _text_list(prop)))
    languages = texts("LANG") + [
        language for prop in by_name.get("X-PRESSCTL-LANG", []) for language in _text_list(prop)
    ]
    put("languages", ",".join(dict.fromkeys(languages)))
    put("country", next(iter(texts("X-PRESSCTL-COUNTRY")), "") or component("ADR", 6))
    put("notes", "\n".join(texts("NOTE")))
    put("kind", kind or kind_role)
    put("embargo_ok", next(iter(texts("X-PRESSCTL-EMBARGO-OK")), ""))
    put("opted_out", next(iter(texts("X-PRESSCTL-OPTED-OUT")), ""))
    put("salutation", next(iter(texts("X-PRESSCTL-SALUTATION")), ""))
    put("first_name_ok", next(iter(texts("X-PRESSCTL-FIRST-NAME-OK")), ""))
    return fields


def _phone_text(prop: _Property) -> str:
    raw = prop.value.strip()
    number = _tel_uri_to_text(raw) if raw.lower().startswith("tel:") else _unescape(raw).strip()
    types = prop.types
    if "fax" in types:
        return f"Fax: {number}"
    if types & _MOBILE_TYPES:
        return f"Mobile: {number}"
    return number


def _tel_uri_to_text(uri: str) -> str:
    number, *uri_params = uri[len("tel:") :].split(";")
    text = unquote(number)
    for uri_param in uri_params:
        key, _, value = uri_param.partition("=")
        if key.strip().lower() == "ext" and value.strip():
            text += f" ext. {unquote(value.strip())}"
    return text
