"""CSV contact files as spreadsheets write them.

Reading accepts English and French (and some German, Italian, Spanish) column names,
UTF-8 with or without BOM, and comma, semicolon or tab delimiters (Excel in a French
locale writes semicolons, sometimes behind a ``sep=;`` line). Unknown columns are
reported, not silently used. Which encoding a file is in is decided before it gets here
(:mod:`pressctl.contacts.formats.charsets`).

A role per language: see ``_LANGUAGE_COLUMN`` below ("role_en" columns, or one "roles"
cell). Writing has two dialects: the standard one (comma, UTF-8 without BOM) and ``excel``, what
Excel in a French (or German, Italian, Spanish) locale opens by double-click without an
import wizard: semicolons, a UTF-8 BOM (without it Excel reads cp1252 and garbles accents)
and CRLF line ends. In the Excel dialect a cell that Excel would take for a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR: ``=HYPERLINK(...)`` in a name, or a
phone ``+33 1 44 76 75 00``, which Excel shows as ``#NULL!``) is written behind an
apostrophe, so Excel shows it as text and runs nothing; reading drops an apostrophe
found before one of those characters, so such a file imports back as it was.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from pressctl.contacts.contact_rows import ContactRow, languages_of, scan, strings_of
from pressctl.contacts.formats import RawRecord
from pressctl.contacts.model import Contact, Phone
from pressctl.errors import InvalidInput

EXPORT_COLUMNS = (
    "name", "kind", "role", "roles", "organization", "outlet", "emails", "phones", "tags",
    "languages", "country", "embargo_ok", "opted_out", "salutation", "first_name_ok",
    "notes", "id", "created", "updated",
)
# A role per language is read from a column of its own ("role_en", "Fonction (EN)",
# "title-fr-CA": a role column's name, then a two-letter language) or from one "roles"
# cell, "fr=Attachée de presse; en=Press officer", which is what export writes.
_LANGUAGE_COLUMN = re.compile(
    r"(?P<field>.*?\w)[\s_.:/(\[-]+(?P<language>[A-Za-z]{2}(?:[-_][A-Za-z]{2})?)[)\]]?\s*")
_ROLES_SPLIT = re.compile(r"\s*;\s*(?=[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*\s*=)")

# Column names after folding (lower case, accents and punctuation removed, trailing
# digits dropped so that "Email 2" counts as "Email").
_COLUMNS: dict[str, str] = {}
for _key, _names in {
    "name": "name fullname nomcomplet contact displayname nometprenom prenomnom "
            "nomprenom contactname vollstandigername nomecompleto nombrecompleto",
    "first_name": "firstname prenom givenname vorname nome nombre forename",
    "last_name": "lastname nom surname familyname nachname cognome apellido apellidos "
                 "nomdefamille",
    "emails": "email emails mail courriel adressemail adresseemail emailaddress correo "
              "correoelectronico emailadresse postaelettronica adressecourriel",
    "phones": "phone phones tel telephone telefon telefono phonenumber numero workphone "
              "telpro telephonefixe fixe bureau officephone direct lignedirecte "
              "telephonenumber telefonnummer numerodetelephone",
    "mobile": "mobile portable cell cellphone mobilephone handy cellulare movil gsm "
              "telportable mobil telephoneportable telephonemobile mobilnummer",
    "fax": "fax telecopie telefax faxnumber",
    "organization": "organisation organization organisme company entreprise societe "
                    "employer institution agency agence structure unternehmen azienda "
                    "empresa org organizzazione",
    "outlet": "outlet media medium publication redaction journal support titredepresse "
              "newspaper zeitung testata medio",
    "role": "role fonction title jobtitle poste position function funktion ruolo cargo "
            "qualite titre",
    "tags": "tags tag beats beat rubrique rubriques thematiques thematique themes topics "
            "categories sujets keywords",
    "languages": "language languages langue langues lang sprache sprachen lingua idioma",
    "country": "country pays land paese pais countrycode",
    "notes": "notes note remarques remarque commentaire commentaires comments comment "
             "bemerkungen",
    "embargo_ok": "embargook embargo acceptsembargo embargoaccepted",
    "roles": "roles fonctions",
    "salutation": "salutation greeting formuledappel anrede",
    "first_name_ok": "firstnameok prenomok informal",
    "opted_out": "optedout optout unsubscribed desinscrit desabonne donotcontact donotemail",
    "kind": "kind type typedecontact contacttype",
    "ignore": "id created updated error pressctlerror",
}.items():
    for _name in _names.split():
        _COLUMNS[_name] = _key


def _fold_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))
    return letters.rstrip("0123456789") or letters


@dataclass(slots=True)
class CsvLayout:
    delimiter: str
    header: list[str]
    mapping: list[str | None]  # canonical key per column, None = ignored
    unknown: list[str]
    header_line: int
    header_text: str


def _column_key(name: str) -> str | None:
    folded = _fold_header(name)
    if folded in _COLUMNS:
        return _COLUMNS[folded]
    by_language = _LANGUAGE_COLUMN.fullmatch(name.strip())
    if by_language and _COLUMNS.get(_fold_header(by_language["field"])) == "role":
        from pressctl.contacts.regions import language_tag

        tag = language_tag(by_language["language"])
        if tag:
            return f"roles:{tag}"  # the cells are that language's role
    # "Téléphone portable", "E-mail professionnel", "Tel. (direct)"...
    for needle, key in (("fax", "fax"), ("portable", "mobile"), ("mobile", "mobile"),
                        ("cell", "mobile"), ("handy", "mobile"), ("mail", "emails"),
                        ("courriel", "emails"), ("phone", "phones"), ("telef", "phones"),
                        ("tel", "phones")):
        if folded.startswith(needle) or (len(needle) > 3 and needle in folded):
            return key
    return None


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def decode(data: bytes, source: str) -> str:
    """UTF-8 with or without BOM; anything else is refused with the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InvalidInput(
            f"{source}:{line}: not UTF-8 (byte 0x{data[err.start]:02x})",
            hint="save the file as UTF-8 (in Excel: 'CSV UTF-8')",
        ) from err


class _LineTap:
    """Iterates over lines for csv.reader and keeps those of the current record, so that
    a rejected record can be written back exactly as it was. The records' reader takes
    its lines from :meth:`stream` (a generator: a method call per line cost more than the
    csv module's parsing of it) and counts them when it takes them."""

    def __init__(self, lines: Iterator[str], source: str) -> None:
        self._lines = lines
        self._source = source
        self.taken: list[str] = []
        self.done = 0  # lines taken (or dropped) so far

    @property
    def count(self) -> int:
        """Lines read so far."""
        return self.done + len(self.taken)

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line

    def stream(self) -> Iterator[str]:
        """The lines still to read, each kept in ``taken`` as it is read."""
        keep = self.taken.append
        for line in self._lines:
            keep(line)
            yield line

    def take(self) -> str:
        text = "".join(self.taken)
        self.done += len(self.taken)
        self.taken.clear()
        return text


def read_csv(
    text: str | Iterable[str], source: str
) -> tuple[CsvLayout, Iterator[RawRecord]]:
    """The file's layout and a lazy stream of its records (blank rows are skipped).

    ``text`` is the whole file or an iterator of its lines (a file opened with
    ``newline=""``), which keeps a large import's memory flat.
    """
    # Only CR, LF and CRLF end a line: str.splitlines would also split a cell at a form
    # feed, vertical tab (FileMaker's in-cell line break) or U+2028.
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    tap = _LineTap(iter(lines), source)
    first = next(tap, None)
    delimiter = None
    if first is not None and (sep := re.fullmatch(r'"?sep=(.)"?\s*', first)):
        delimiter = sep.group(1)
        tap.take()
        first = next(tap, None)
    while first is not None and not first.strip():
        tap.take()
        first = next(tap, None)
    if first is None:
        raise InvalidInput(f"{source}: the file is empty", hint="expected a header row")
    header_line = tap.count
    delimiter = delimiter or _sniff_delimiter(first)
    tap.take()  # the header line: read again by the csv reader, counted once
    reader = csv.reader(chain((first,), tap.stream()), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except csv.Error as err:
        raise InvalidInput(f"{source}:{header_line}: {err}") from err
    header_text = first if len(tap.taken) == 0 else first + tap.take()
    mapping = [_column_key(h) for h in header]
    unknown = [h for h, key in zip(header, mapping, strict=True) if key is None and h.strip()]
    mapping = [None if key == "ignore" else key for key in mapping]
    present = set(mapping)
    if "name" not in present and "last_name" in present and "first_name" not in present:
        # A lone "Nom" column holds the whole name.
        mapping = ["name" if key == "last_name" else key for key in mapping]
        present = set(mapping)
    if not present & {"name", "first_name", "last_name"}:
        raise InvalidInput(
            f"{source}:{header_line}: no name column in the header ({', '.join(header)})",
            hint="name a column Name/Nom, or First name/Prénom and Last name/Nom",
        )
    layout = CsvLayout(delimiter, header, mapping, unknown, header_line, header_text)
    return layout, _records(reader, tap, layout, source)


# How a column's cells are read into a record's fields (see _records).
_PLAIN, _EMAILS, _PHONES, _LABELLED, _ROLES, _ROLE_IN = range(6)


def _column_plan(mapping: list[str | None]) -> list[tuple[int, str, int]]:
    """(index, key, how) of each column read, in order."""
    plan = []
    for index, key in enumerate(mapping):
        if key is None:
            continue
        if key == "emails":
            how = _EMAILS
        elif key == "phones":
            how = _PHONES
        elif key in ("mobile", "fax"):
            how = _LABELLED
        elif key == "roles":
            how = _ROLES
        elif key.startswith("roles:"):
            how = _ROLE_IN
        else:
            how = _PLAIN
        plan.append((index, key, how))
    return plan


def _records(reader: Iterator[list[str]], tap: _LineTap, layout: CsvLayout,
             source: str) -> Iterator[RawRecord]:
    width = len(layout.header)
    plan = _column_plan(layout.mapping)
    taken = tap.taken
    done = tap.done
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise InvalidInput(f"{source}:{done + len(taken)}: {err}") from err
        first = done + 1
        done += len(taken)
        text = taken[0] if len(taken) == 1 else "".join(taken)
        taken.clear()
        if not "".join(row).strip():  # blank: every cell empty or whitespace
            continue
        fields: dict[str, str | list[str]] = {}
        if len(row) > width and "".join(row[width:]).strip():
            fields["_error"] = (
                f"{len(row)} cells for {width} columns (a {layout.delimiter!r} "
                "inside an unquoted value?)"
            )
        # A short row lacks its last cells; a long one's extra cells were reported above.
        cells = len(row)
        for index, key, how in plan:
            if index >= cells:
                break
            cell = row[index]
            if not cell or cell.isspace():  # str.strip's whitespace, as isspace's
                continue
            if cell[0] == "'":
                cell = _as_written(cell)
            if how == _PLAIN:
                if key not in fields:
                    fields[key] = cell
            elif how == _EMAILS:
                fields.setdefault("emails", []).append(cell)  # type: ignore[union-attr]
            elif how in (_PHONES, _LABELLED):
                value = cell if how == _PHONES else f"{key.title()}: {cell}"
                fields.setdefault("phones", [])
                fields["phones"].extend(_split_phones(value, key))  # type: ignore[union-attr]
            else:
                entries = ([f"{key[len('roles:'):]}={cell}"] if how == _ROLE_IN
                           else [part for part in _ROLES_SPLIT.split(cell.strip()) if part])
                fields.setdefault("roles", [])
                fields["roles"].extend(entries)  # type: ignore[union-attr]
        yield RawRecord(first, fields, text)
        tap.done = done


def _split_phones(value: str, key: str) -> list[str]:
    if key in ("mobile", "fax"):
        return [value]
    # "Mobile: 06 ...; Tel. 01 ..." — one label per number, as written by export.
    return [part for part in value.split(";") if part.strip()] if ";" in value else [value]


CSV_DIALECTS = ("standard", "excel")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what Excel evaluates (OWASP's list)


def _as_text(cell: str) -> str:
    """An Excel cell that cannot run: an apostrophe before what Excel would evaluate."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _as_written(cell: str) -> str:
    """A read cell without the apostrophe _as_text (or a spreadsheet) put before a
    formula character; "'t Hart" keeps its own."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA_CHARS else cell


_FORMULA_CHARS = frozenset(_FORMULA_START)


def _export_writer(dialect: str) -> tuple[io.StringIO, Any]:
    """A buffer and the csv writer into it for an export in ``dialect`` (the Excel one
    starts with a BOM and separates cells with ';')."""
    if dialect not in CSV_DIALECTS:
        raise InvalidInput(f"unknown CSV dialect {dialect!r}",
                           hint=f"use one of {', '.join(CSV_DIALECTS)}")
    excel = dialect == "excel"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buffer.write("\ufeff")
    return buffer, writer


def write_csv(contacts: Iterable[Contact], phone_text: Callable[[Phone], str], *,
              dialect: str = "standard") -> Iterator[str]:
    """Yield the CSV text of ``contacts`` (header first), in the columns read_csv maps back.

    ``dialect="excel"`` starts with a BOM and separates cells with ';' (see the module
    docstring); both dialects end lines with CRLF, as RFC 4180 says.
    """
    buffer, writer = _export_writer(dialect)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    excel = dialect == "excel"
    for contact in contacts:
        row = _export_row(contact, phone_text)
        writer.writerow([_as_text(cell) for cell in row] if excel else row)
        yield flush()


def write_csv_rows(rows: Iterable[ContactRow], number: Callable[[list[Any]], str], *,
                   dialect: str = "standard", batch: int = 512) -> Iterator[str]:
    """:func:`write_csv` of the store's rows (pressctl.contacts.contact_rows): the same
    text, written from each row without a Contact, ``batch`` rows a chunk. ``number``
    shows a phone's JSON row (contact_rows.number_text), as ``phone_text`` a Phone."""
    buffer, writer = _export_writer(dialect)
    writer.writerow(EXPORT_COLUMNS)
    cells: list[list[str]] = []
    prefixes = _PHONE_PREFIX
    excel = dialect == "excel"
    for (cid, name, kind, role, organization, outlet, languages, country, notes, embargo_ok,
         opted_out, created, updated, salutation, first_name_ok, emails, phones, tags,
         roles) in rows:
        if phones == "[]":
            phone_cell = ""
        else:
            phone_cell = "; ".join([
                prefixes.get(p[2], "") + number(p) + (f" ({p[3]})" if p[3] else "")
                for p in scan(phones, 0)[0]])
        cells.append([
            name, kind, role or "",
            "" if roles == "{}" else "; ".join(f"{k}={v}" for k, v in scan(roles, 0)[0].items()),
            organization or "", outlet or "",
            "; ".join(strings_of(emails)), phone_cell, ",".join(strings_of(tags)),
            ",".join(languages_of(languages)), country or "",
            "true" if embargo_ok else "false", "true" if opted_out else "false",
            salutation or "", "true" if first_name_ok else "false",
            notes or "", str(cid or ""), created or "", updated or "",
        ])
        if excel:
            cells[-1] = [_as_text(cell) for cell in cells[-1]]
        if len(cells) >= batch:
            writer.writerows(cells)
            cells.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(cells)
    yield buffer.getvalue()


# pressctl.contacts.phones.field_text's label of a type (a work phone has none).
_PHONE_PREFIX = {"mobile": "Mobile: ", "fax": "Fax: "}


def _phone_cell(phone: Phone, phone_text: Callable[[Phone], str]) -> str:
    from pressctl.contacts.phones import field_text

    return field_text(phone, phone_text(phone))


def _export_row(c: Contact, phone_text: Callable[[Phone], str]) -> list[str]:
    return [
        c.name, c.kind, c.role or "", "; ".join(f"{k}={v}" for k, v in c.roles.items()),
        c.organization or "", c.outlet or "",
        "; ".join(c.emails), "; ".join(_phone_cell(p, phone_text) for p in c.phones),
        ",".join(c.tags), ",".join(c.languages), c.country or "",
        "true" if c.embargo_ok else "false", "true" if c.opted_out else "false",
        c.salutation or "", "true" if c.first_name_ok else "false",
        c.notes or "", str(c.id or ""), c.created or "", c.updated or "",
    ]
