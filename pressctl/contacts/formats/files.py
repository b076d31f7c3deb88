"""Choosing the format of a contact file, and writing rejected records back untouched.

A CSV file's encoding is found from its bytes (pressctl.contacts.formats.charsets): UTF-8
files are streamed; an Excel file in UTF-16 or cp1252 is read whole (such files are small)
and a note says which encoding and delimiter were used. vCard and JSON stay UTF-8 only.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.contacts.formats import RawRecord, Rejected
from pressctl.contacts.formats.charsets import UTF8, Charset, charset_by_head
from pressctl.errors import InvalidInput, Problem, ProblemsFound

FORMATS = ("csv", "vcard", "json")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".vcf": "vcard", ".vcard": "vcard",
             ".json": "json"}


@dataclass(slots=True)
class ContactFile:
    """An opened contact file: its records (a lazy stream for CSV) and what reading noticed."""

    source: str
    format: str
    records: Iterator[RawRecord]
    size_hint: int  # roughly how many records (lines for CSV), to pick the worker count
    notes: list[str] = field(default_factory=list)
    header_text: str = ""  # CSV: the header line as written, for the rejects file
    delimiter: str = ","


def guess_format(path: Path, text: str) -> str:
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix:
        return by_suffix
    head = text.lstrip()[:20].upper()
    if head.startswith("BEGIN:VCARD"):
        return "vcard"
    if head.startswith(("[", "{")):
        return "json"
    return "csv"


def open_contact_file(path: Path, fmt: str | None = None, *,
                      data: bytes | None = None) -> ContactFile:
    """Open a contact file (or ``data`` read elsewhere, named ``path``); a CSV file is
    streamed, so a 100,000-row file is never held whole."""
    from pressctl.contacts.formats.csvfile import decode

    source = str(path)
    if data is not None:
        fmt = fmt or guess_format(path, _head_text(data[:4096]))
        if fmt == "csv":
            return _csv_from_bytes(source, data)
        return _from_text(source, fmt, decode(data, source))
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            lines = head.count(b"\n")
            utf8 = _Utf8Check(head)
            for block in iter(lambda: handle.read(1 << 20), b""):
                lines += block.count(b"\n")
                utf8.feed(block)
    except FileNotFoundError as err:
        raise InvalidInput(f"{path}: no such file") from err
    except IsADirectoryError as err:
        raise InvalidInput(f"{path}: is a directory, expected a contact file") from err
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read ({err.strerror})") from err
    fmt = fmt or guess_format(path, _head_text(head))
    if fmt == "csv" and (charset_by_head(head) not in (None, UTF8) or not utf8.valid()):
        return _csv_from_bytes(source, _read_bytes(path))
    if fmt == "csv":
        from pressctl.contacts.formats.csvfile import read_csv

        layout, records = read_csv(_text_lines(path, source), source)
        notes = [f"ignored column(s): {', '.join(layout.unknown)}"] if layout.unknown else []
        return ContactFile(source, fmt, records, lines, notes,
                           layout.header_text, layout.delimiter)
    return _from_text(source, fmt, decode(path.read_bytes(), source))


class _Utf8Check:
    """Whether the blocks fed so far are UTF-8, checked while the file is read anyway."""

    def __init__(self, head: bytes) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._ok = True
        self.feed(head)

    def feed(self, block: bytes) -> None:
        if self._ok and not block.isascii():
            try:
                self._decoder.decode(block)
            except UnicodeDecodeError:
                self._ok = False

    def valid(self) -> bool:
        if self._ok:
            try:
                self._decoder.decode(b"", final=True)  # a sequence cut at the end
            except UnicodeDecodeError:
                self._ok = False
        return self._ok


def _head_text(head: bytes) -> str:
    charset = charset_by_head(head) or UTF8
    return head.decode(charset.codec, errors="replace")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read ({err.strerror})") from err


def _csv_from_bytes(source: str, data: bytes) -> ContactFile:
    from pressctl.contacts.formats.charsets import decode_contact_bytes

    text, charset = decode_contact_bytes(data, source)
    return _from_text(source, "csv", text, charset)


def _from_text(source: str, fmt: str, text: str, charset: Charset = UTF8) -> ContactFile:
    if fmt == "csv":
        from pressctl.contacts.formats.csvfile import read_csv

        layout, records = read_csv(text.removeprefix("\ufeff"), source)
        notes = [f"ignored column(s): {', '.join(layout.unknown)}"] if layout.unknown else []
        if charset != UTF8:
            delimiter = _DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))
            notes.insert(0, f"read as {charset.label} (not UTF-8), cells separated by "
                            f"{delimiter}")
        return ContactFile(source, fmt, records, text.count("\n"), notes,
                           layout.header_text, layout.delimiter)
    if fmt == "vcard":
        from pressctl.contacts.formats.vcard import read_vcards

        try:
            cards = read_vcards(text)
        except ProblemsFound as err:  # the reader knows lines, not the file's name
            raise ProblemsFound(
                f"{source}: {err.message}",
                [Problem(f"{source}:{p.where.removeprefix('line ')}", p.message)
                 for p in err.problems],
                hint="every BEGIN:VCARD needs its END:VCARD",
            ) from err
        return ContactFile(source, fmt, iter(cards), len(cards))
    if fmt == "json":
        from pressctl.contacts.formats.jsonfile import read_json

        items = read_json(text, source)
        return ContactFile(source, fmt, iter(items), len(items))
    raise InvalidInput(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def _text_lines(path: Path, source: str) -> Iterator[str]:
    """The file's lines, decoded as UTF-8 (BOM or not) while they are read."""
    from pressctl.contacts.formats.csvfile import decode

    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            yield from handle
    except UnicodeDecodeError:
        # The decoder works in blocks, so its position is not the line: find the byte.
        decode(path.read_bytes(), source)
        raise


def rejects_text(file: ContactFile, rejected: Iterable[Rejected]) -> str:
    """The rejected records exactly as they stood in the file, each with its reason.

    CSV: the original header and rows with an ``error`` column added at the end;
    vCard: the original cards with an X-PRESSCTL-ERROR property; JSON: a list of
    {"line", "error", "record"}. Fixing a row and importing the file again works.
    """
    if file.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=file.delimiter, lineterminator="")
        header = file.header_text.rstrip("\r\n")
        newline = file.header_text[len(header):] or "\n"
        width = _cell_count(header, file.delimiter)
        out.write(header + file.delimiter + "error" + newline)
        for rejection in rejected:
            row = rejection.record.text.rstrip("\r\n")
            ending = rejection.record.text[len(row):] or newline
            # A short row gets its missing cells, so that the reason lands under "error".
            missing = max(width - _cell_count(row, file.delimiter), 0)
            out.write(row + file.delimiter * (missing + 1))
            writer.writerow([rejection.reason])
            out.write(ending)
        return out.getvalue()
    if file.format == "vcard":
        parts = []
        for rejection in rejected:
            text = rejection.record.text
            end = text.upper().rfind("END:VCARD")
            escaped = rejection.reason.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            escaped = escaped.replace("\n", "\\n")
            ending = "\r\n" if "\r\n" in text else "\n"
            if end < 0:
                parts.append(text)
            else:
                parts.append(text[:end] + f"X-PRESSCTL-ERROR:{escaped}{ending}" + text[end:])
            if not parts[-1].endswith("\n"):
                parts[-1] += ending
        return "".join(parts)
    items = []
    for rejection in rejected:
        record = rejection.record
        try:
            original = json.loads(record.text)
        except ValueError:
            original = record.text
        items.append({"line": record.line, "error": rejection.reason, "record": original})
    text = json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    # A record rejected for a lone surrogate ("\\udcff" in the file) keeps it as the escape
    # it was written as: the raw character cannot be written in UTF-8.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _cell_count(text: str, delimiter: str) -> int:
    return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))
