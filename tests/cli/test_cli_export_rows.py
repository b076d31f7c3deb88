"""`contacts export` (every format, to stdout and to a file) and `contacts list --json`
write each contact from the store's row (issue 12), on both backends: the very bytes the
Contact-based writers write for the same book, one with the hard cases (quotes,
backslashes, newlines and control characters, non-ASCII, extensions and labels, empty
lists, formula-like cells, cards to fold, numbers without trusted stored forms)."""

from __future__ import annotations

import io
import sys

import pytest
from conftest import home_store

from pressctl.contacts.model import Contact, Phone

NOW = "2026-11-22T10:00:00Z"


@pytest.fixture
def hard_book(home, cli):
    people = [
        Contact(name="Anaïs Gauthier", kind="journalist", role="Rédactrice",
                outlet="Le Monde des Étoiles", emails=["anais@etoiles.example"],
                phones=[Phone("+33144767539", "12", "work", "standard"),
                        Phone("+33612345678", None, "mobile", None)],
                tags=["espace", 'quo"te', 'ends",', "back\\slash"], languages=["fr", "en"],
                roles={"en": "Editor", "de": "Redakteurin; leitend"}, country="FR",
                notes="Première ligne,\nseconde; " + "é" * 60, embargo_ok=True,
                created=NOW, updated=NOW),
        Contact(name="Bob", kind="officer", organization='=HYPERLINK("x")', emails=[],
                phones=[], tags=[], languages=[], created=NOW, updated=NOW),
        Contact(name="de la Cruz, María", kind="other", outlet="@SUM(A1)",
                emails=["maria@cruz.example", "m@x.example"],
                phones=[Phone("+12023581600", "5", "fax", "line\t2")],
                notes="tab\there\x01\u2028", opted_out=True, created=NOW, updated=NOW),
    ]
    with home_store(home) as store, store.transaction():
        store.contacts.insert(people)
        store.db.execute("UPDATE contact_phones SET international = NULL "
                         "WHERE e164 = '+12023581600'")
    return home


def _old(home, fmt: str, dialect: str = "standard", version: str = "3.0") -> str:
    """What the Contact-based writers write for the book."""
    from pressctl.contacts.formats.csvfile import write_csv
    from pressctl.contacts.formats.jsonfile import write_json
    from pressctl.contacts.formats.vcard import iter_vcards
    from pressctl.contacts.phones import phone_formatter

    show = phone_formatter("international")
    with home_store(home) as store:
        contacts = list(store.contacts.stream())
    if fmt == "csv":
        return "".join(write_csv(contacts, show, dialect=dialect))
    if fmt == "json":
        return "".join(write_json(contacts, show))
    return "".join(iter_vcards(contacts, version, phone_text=show))


CASES = [("csv", "standard", "3.0", ["--format", "csv"]),
         ("csv", "excel", "3.0", ["--format", "csv", "--excel"]),
         ("json", "standard", "3.0", ["--format", "json"]),
         ("vcard", "standard", "3.0", ["--format", "vcard"]),
         ("vcard", "standard", "4.0", ["--format", "vcard", "--vcard-version", "4.0"])]


@pytest.mark.parametrize("fmt, dialect, version, args", CASES,
                         ids=[" ".join(c[3]) for c in CASES])
def test_an_export_is_what_the_contact_writers_write(hard_book, cli, tmp_path, fmt, dialect,
                                                     version, args):
    expected = _old(hard_book, fmt, dialect, version)
    printed = cli("contacts", "export", *args)
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout_bytes == expected.encode("utf-8")
    out = tmp_path / f"out.{fmt}"
    written = cli("contacts", "export", *args, "--out", out)
    assert written.exit_code == 0, written.stderr
    assert out.read_bytes() == expected.encode("utf-8")


def test_list_json_is_what_the_contact_printer_writes(hard_book, cli, monkeypatch):
    from pressctl.cli.output import Output
    from pressctl.cli.views import print_contacts
    from pressctl.config import load_settings

    printed = cli("contacts", "list", "--json")
    assert printed.exit_code == 0, printed.stderr
    with home_store(hard_book) as store:
        contacts = list(store.contacts.stream())  # a list: the Contact printer
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    print_contacts(Output(quiet=True), contacts, load_settings(hard_book / "config.toml"),
                   as_json=True)
    assert printed.stdout == buffer.getvalue()
    assert '"label": "line\\t2"' in printed.stdout
