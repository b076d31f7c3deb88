"""Data written to stdout as it comes, so that a list of any length is printed in flat
memory: a JSON array (``--json``), tab-separated rows (a table piped), an export's text;
gathered into blocks of BLOCK characters, one write each (:func:`write_blocks`).

Each writes exactly the bytes its all-at-once form writes: :func:`write_json_array`
what ``Output.json(list(items))`` prints (``json.dumps(..., indent=2,
ensure_ascii=False)``), :func:`write_tab_separated` what pressctl.cli.tables prints
when not on a terminal. tests/cli/test_cli_streamed.py holds them to it.

``json.dumps`` with ``indent`` runs the json module's pure-Python encoder (CPython 3.11
has no C one for it): 20 µs a contact, more than all the rest of `contacts list --json`.
:func:`indented_json` writes the same text for the values our JSON holds (strings,
numbers, booleans, None, lists, dicts with string keys), with the C string encoder, and
hands anything else to ``json.dumps`` itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring  # the C version when there is one
from typing import Any

from pressctl.cli.tables import Col, Layout, pick, plain

INDENT = "  "  # Output.json's indent=2
BLOCK = 1 << 16  # characters written at a time (see write_blocks)


def write_blocks(chunks: Iterable[str]) -> None:
    """Write ``chunks`` to stdout gathered in blocks of about BLOCK characters. Where
    stdout is unbuffered (PYTHONUNBUFFERED, which container images often set) a write a
    row would be a system call and a wake-up of the reader a row: a third more time to a
    pipe. What was gathered is written even when a chunk fails to come."""
    write = sys.stdout.write  # looked up now: a test may have replaced stdout
    pending: list[str] = []
    size = 0
    try:
        for chunk in chunks:
            pending.append(chunk)
            size += len(chunk)
            if size >= BLOCK:
                write("".join(pending))
                pending.clear()
                size = 0
    finally:
        if pending:
            write("".join(pending))


def write_json_array(items: Iterable[Any]) -> int:
    """Print ``items`` to stdout as one indented JSON array, written as they come;
    returns how many there were."""
    return write_json_texts(indented_json(item, INDENT) for item in items)


def write_json_texts(texts: Iterable[str]) -> int:
    """:func:`write_json_array` of items already written as JSON, each as
    ``indented_json(item, INDENT)`` writes it; returns how many there were."""
    count = 0

    def text() -> Iterator[str]:
        nonlocal count
        for item in texts:
            yield ("[\n" if count == 0 else ",\n") + INDENT + item
            count += 1
        yield "\n]\n" if count else "[]\n"

    write_blocks(text())
    return count


def indented_json(value: Any, indent: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, as it reads at ``indent``."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is dict:
        return _object(value, indent)
    if kind is list:
        return _array(value, indent)
    return _scalar(value, indent)


def _scalar(value: Any, indent: str) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    # Floats, tuples, subclasses, other types: the json module's own text (and errors).
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def _object(value: dict[Any, Any], indent: str) -> str:
    if not value:
        return "{}"
    inner = indent + INDENT
    members = []
    for key, member in value.items():
        if type(key) is not str:  # json turns 1, True, None into "1", "true", "null"
            return _scalar(value, indent)
        name = encode_basestring(key) + ": "
        # Strings, None and booleans inline: most members are, and a call each costs.
        kind = type(member)
        members.append(name + (encode_basestring(member) if kind is str
                               else "null" if member is None
                               else ("true" if member else "false") if kind is bool
                               else indented_json(member, inner)))
    return "{\n" + inner + (",\n" + inner).join(members) + "\n" + indent + "}"


def _array(value: list[Any], indent: str) -> str:
    if not value:
        return "[]"
    inner = indent + INDENT
    try:  # strings (e-mails, tags): encoded in one go
        items = list(map(encode_basestring, value))
    except TypeError:  # not all strings
        items = [indented_json(item, inner) for item in value]
    return "[\n" + inner + (",\n" + inner).join(items) + "\n" + indent + "]"


def write_tab_separated(columns: Sequence[Col], rows: Iterable[Sequence[Any]],
                        layout: Layout | None = None, *, text_only: bool = False) -> int:
    """A table not on a terminal, row by row: the header, then each row tab-separated,
    with the columns --columns picks (else all); returns how many rows there were.

    ``text_only``: every cell of every row is a string already (what tables.plain()
    makes of its value, newlines aside), one per column: each line is joined at once,
    its newlines made spaces (`contacts list`: a third of the time of its printing)."""
    shown = pick(columns, (layout or Layout()).columns)
    every = shown == list(range(len(columns)))
    count = 0

    def text() -> Iterator[str]:
        nonlocal count
        yield "\t".join(columns[i].header for i in shown) + "\n"
        if text_only:
            for row in rows:
                cells = row if every else [row[i] for i in shown]
                yield "\t".join(cells).replace("\n", " ") + "\n"
                count += 1
            return
        for row in rows:
            # plain() of a string, inline: most cells are strings, and a call each costs.
            yield "\t".join([cell.replace("\n", " ") if type(cell) is str else _text(cell)
                             for cell in [row[i] for i in shown]]) + "\n"
            count += 1

    write_blocks(text())
    return count


def _text(cell: Any) -> str:
    """plain(cell), a list of strings (e-mails, phones) without a call per item."""
    if type(cell) is list:
        try:
            return ", ".join(cell).replace("\n", " ")
        except TypeError:  # not all strings
            pass
    return plain(cell)
