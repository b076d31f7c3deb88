"""pressctl.cli.streamed: a JSON array and tab-separated rows written as they come, in
blocks, byte for byte what the all-at-once printers write; and `contacts list`
(print_contacts) writing the contacts it has before it asks for more."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from enum import IntEnum, StrEnum

import pytest

from pressctl.cli import streamed
from pressctl.cli.output import Output
from pressctl.cli.streamed import (
    indented_json,
    write_blocks,
    write_json_array,
    write_tab_separated,
)
from pressctl.cli.tables import Col, Layout, print_table
from pressctl.config import DisplaySettings, Settings
from pressctl.contacts.model import Contact, Phone


class Level(IntEnum):
    HIGH = 3


class Kind(StrEnum):
    OFFICER = "officer"


VALUES = [
    None, True, False, 0, -17, 2**70, 1.5, float("nan"), float("inf"), "", "plain",
    'quote " backslash \\ slash /', "line\nbreak\ttab\r\x00\x1f\x7f", "Anaïs «Élodie» 東京 🚀",
    "\u2028\u2029", [], {}, [[]], [{}], {"a": []}, {"a": {}}, ["a", 1, None, True],
    {"name": "Ann", "phones": [{"e164": "+33144767539", "extension": None, "label": None}],
     "tags": ["space", "science"], "roles": {"en": "Press officer", "fr-CA": "Attachée"},
     "embargo_ok": True, "id": 7},
    {1: "int key", False: "bool key", None: "none key", 2.5: "float key"},
    {"mixed": {"b": 1, 3: "c"}}, ("a", ("b",)), {"t": ("x", 1)}, Level.HIGH, Kind.OFFICER,
    [Level.HIGH, Kind.OFFICER], {"enum": Level.HIGH}, [[[["deep"]]], {"x": [{"y": [1]}]}],
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
@pytest.mark.parametrize("indent", ["", "  ", "    "])
def test_indented_json_is_what_json_dumps_indent_2_writes(value, indent):
    expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)
    assert indented_json(value, indent) == expected


def test_indented_json_refuses_what_json_refuses():
    with pytest.raises(TypeError):
        indented_json({"when": object()})


def _printed(monkeypatch, write) -> str:
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    write()
    return buffer.getvalue()


@pytest.mark.parametrize("items", [[], [{"a": 1}], VALUES, [VALUES]])
def test_a_json_array_written_item_by_item_is_output_json_of_the_list(monkeypatch, items):
    written = _printed(monkeypatch, lambda: write_json_array(iter(items)))
    assert written == _printed(monkeypatch, lambda: Output().json(list(items)))
    assert json.loads(written) == json.loads(json.dumps(items))  # one valid document


COLUMNS = (Col("id"), Col("name"), Col("e-mail", key="email"), Col("flags"))
ROWS = [(1, "Ann\nLee", ["a@x.example", "b@x.example"], ""), (2, None, [], True),
        (3, "Zoë", [1, None, "c\nd"], False), (4, "", (), "OPTED-OUT")]


@pytest.mark.parametrize("asked", [None, "email,id", "name"])
def test_tab_separated_rows_written_one_by_one_are_what_print_table_writes(monkeypatch,
                                                                             asked):
    layout = Layout(columns=asked)
    written = _printed(monkeypatch, lambda: write_tab_separated(COLUMNS, iter(ROWS), layout))
    assert written == _printed(monkeypatch, lambda: print_table(COLUMNS, ROWS, terminal=False,
                                                                layout=layout))


@pytest.mark.parametrize("asked", [None, "email,id", "name", "flags,name,id,email"])
def test_rows_of_text_only_are_written_as_plain_makes_their_cells(monkeypatch, asked):
    """text_only (the cells are tables.plain()'s strings already): the same bytes,
    newlines inside a cell made spaces, as the rows of the values they show."""
    from pressctl.cli.tables import plain

    layout = Layout(columns=asked)
    texts = [tuple(plain(cell) if type(cell) is not str else cell for cell in row)
             for row in ROWS]
    assert any("\n" in cell for row in texts for cell in row)
    written = _printed(monkeypatch, lambda: write_tab_separated(
        COLUMNS, iter(texts), layout, text_only=True))
    assert written == _printed(monkeypatch, lambda: write_tab_separated(COLUMNS, ROWS, layout))
    assert written.count("\n") == len(ROWS) + 1


def _settings() -> Settings:
    return Settings(display=DisplaySettings(own_country="FR", phone_style="auto"))


def _contacts(seen: list[str], printed: io.StringIO) -> Iterator[Contact]:
    """Three contacts; before giving the next, note what stdout holds."""
    for number, name in enumerate(["Ann", "Bob", "Cid"], start=1):
        seen.append(printed.getvalue())
        yield Contact(name=name, id=number, emails=[f"{name.lower()}@x.example"],
                      phones=[Phone("+33144767539")])


class _Writes(io.StringIO):
    """stdout, counting its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_text_is_written_in_blocks_not_a_write_a_row(monkeypatch):
    printed = _Writes()
    monkeypatch.setattr(sys, "stdout", printed)
    rows = [f"row {n:05d} " + "x" * 80 + "\n" for n in range(5000)]  # 450,000 characters
    write_blocks(iter(rows))
    assert printed.getvalue() == "".join(rows)
    assert printed.writes <= 450_000 // streamed.BLOCK + 1


def test_what_was_gathered_is_written_when_the_next_row_fails(monkeypatch):
    printed = io.StringIO()
    monkeypatch.setattr(sys, "stdout", printed)

    def rows() -> Iterator[str]:
        yield "first\n"
        raise OSError("the book went away")

    with pytest.raises(OSError, match="went away"):
        write_blocks(rows())
    assert printed.getvalue() == "first\n"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_piped_list_prints_each_block_before_reading_on(monkeypatch, as_json):
    """With blocks of one character, each contact is written before the next is read: a
    block is all that is ever held."""
    from pressctl.cli.views import print_contacts

    monkeypatch.setattr(streamed, "BLOCK", 1)
    printed = io.StringIO()
    monkeypatch.setattr(sys, "stdout", printed)
    seen: list[str] = []
    print_contacts(Output(quiet=True), _contacts(seen, printed), _settings(), as_json=as_json)
    assert "Ann" not in seen[0]
    assert "Ann" in seen[1] and "Bob" not in seen[1]  # Ann was written before Bob was read
    assert "Bob" in seen[2] and "Cid" not in seen[2]
    assert "Cid" in printed.getvalue()
    if as_json:
        assert [c["name"] for c in json.loads(printed.getvalue())] == ["Ann", "Bob", "Cid"]


def test_a_list_on_a_terminal_is_laid_out_from_all_its_rows(monkeypatch):
    """The terminal's table keeps its rows (it needs every width): all are read first."""
    from pressctl.cli import views

    printed = io.StringIO()
    monkeypatch.setattr(sys, "stdout", printed)
    tables: list[list] = []
    out = Output(quiet=True)
    monkeypatch.setattr(Output, "rich_stdout", property(lambda self: True))
    monkeypatch.setattr(out, "table", lambda columns, rows, **kw: tables.append(list(rows)))
    seen: list[str] = []
    views.print_contacts(out, _contacts(seen, printed), _settings())
    assert [row[1] for row in tables[0]] == ["Ann", "Bob", "Cid"]
    assert tables[0][0][6] == ["01 44 76 75 39"]  # auto: national for the own country


@pytest.mark.parametrize("mode", ["piped", "terminal", "json"])
def test_the_stores_stream_is_printed_as_its_contacts_are(monkeypatch, tmp_path, mode):
    """Given the store's stream, a table reads only its columns (the stream's lines:
    pressctl.store.listing) and --json its rows (every column, no Contact built:
    pressctl.contacts.contact_rows); either way, what is printed is
    what the same contacts print, as a plain list of Contacts, in every mode."""
    from pressctl.cli import views
    from pressctl.store import Store
    from pressctl.store.listing import ContactStream

    store = Store.open(tmp_path / "book.db")
    people = [Contact(name=f"{name}\nSecond line", kind=kind, role=role, outlet="Le Monde",
                      organization=org, emails=emails, tags=tags, languages=langs,
                      phones=phones, embargo_ok=embargo, opted_out=opted, notes="n|o,t\te",
                      created="2026-12-02T10:00:00Z", updated="2026-12-02T10:00:00Z")
              for name, kind, role, org, emails, tags, langs, phones, embargo, opted in [
                  ("Ann", "officer", "Press\nofficer", "CNES", ["ann@example.org"],
                   ["space", "a,b"], ["fr", "en"],
                   [Phone("+33144767539", "12", "work", "standard")], True, False),
                  ("Bob", "journalist", None, None, [], [], [], [], False, True),
                  ("Cid", "other", "", "", ["c@example.org", "d@example.org"], ["\tx"],
                   ["de-CH"], [Phone("+33625796479", None, "mobile", None),
                               Phone("+12025550143", None, "fax", "office")], True, True)]]
    with store.transaction():
        store.contacts.insert(people)
    read: list[str] = []
    lines, contacts, rows = ContactStream.lines, ContactStream.__iter__, ContactStream.rows
    monkeypatch.setattr(ContactStream, "lines", lambda s: read.append("lines") or lines(s))
    monkeypatch.setattr(ContactStream, "rows", lambda s: read.append("rows") or rows(s))
    monkeypatch.setattr(ContactStream, "__iter__",
                        lambda s: read.append("contacts") or contacts(s))
    if mode == "terminal":
        monkeypatch.setattr(Output, "rich_stdout", property(lambda self: True))

    def printed(source) -> str:
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stdout", buffer)
        views.print_contacts(Output(quiet=True), source, _settings(), as_json=mode == "json",
                             layout=Layout(wide=True))
        return buffer.getvalue()

    from_stream = printed(store.contacts.stream())
    assert read == (["rows"] if mode == "json" else ["lines"])
    assert from_stream == printed(store.contacts.select())
    assert "Ann" in from_stream and "Cid" in from_stream
    store.close()
