"""`contacts list` and `contacts export` write each contact as it is read (issue 12), and
what they write is, byte for byte, what they wrote when they built the whole list first
(tests/data/listing, captured before the change, on the sample book)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import home_store

LISTING = Path(__file__).resolve().parent.parent / "data" / "listing"
PINNED = "2026-11-22T10:00:00Z"  # the captured files' created and updated


@pytest.fixture
def pinned_book(sample_book, home):
    """The sample book, every contact created and updated at the captured time."""
    with home_store(home) as store, store.transaction():
        store.db.execute("UPDATE contacts SET created = ?, updated = ?", (PINNED, PINNED))
    return sample_book


def _out(cli, *args: str) -> bytes:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


CASES = {
    "list.tsv": ("contacts", "list"),
    "list.json": ("contacts", "list", "--json"),
    "list-columns.tsv": ("contacts", "list", "--columns", "name,phone,email"),
    "list-space.json": ("contacts", "list", "--tag", "space", "--json"),
    "list-none.tsv": ("contacts", "list", "--tag", "nothing-has-this"),
    "list-none.json": ("contacts", "list", "--tag", "nothing-has-this", "--json"),
    "export.csv": ("contacts", "export", "--format", "csv"),
    "export-excel.csv": ("contacts", "export", "--format", "csv", "--excel"),
    "export.json": ("contacts", "export", "--format", "json"),
    "export.vcf": ("contacts", "export"),
    "export-4.vcf": ("contacts", "export", "--vcard-version", "4.0"),
    "export-none.csv": ("contacts", "export", "--format", "csv", "--tag", "nothing-has-this"),
    "export-none.json": ("contacts", "export", "--format", "json", "--tag", "nothing-has-this"),
    "export-none.vcf": ("contacts", "export", "--tag", "nothing-has-this"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_output_is_what_was_printed_before(pinned_book, name):
    assert _out(pinned_book, *CASES[name]) == (LISTING / name).read_bytes()


@pytest.mark.parametrize("name, options", [
    ("export.csv", ("--format", "csv")), ("export-excel.csv", ("--excel",)),
    ("export.json", ()), ("export.vcf", ()), ("export-4.vcf", ("--vcard-version", "4.0")),
])
def test_an_export_to_a_file_is_written_whole_private_and_as_before(pinned_book, tmp_path,
                                                                     name, options):
    out = tmp_path / "exports" / ("contacts" + Path(name).suffix)
    result = pinned_book("contacts", "export", "--out", out, *options)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == (LISTING / name).read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


@pytest.mark.parametrize("style", ["international", "national", "house", "e164"])
def test_every_phone_style_lists_as_before(pinned_book, home, style):
    config = home / "config.toml"
    config.write_text(config.read_text().replace('phone_style = "auto"',
                                                 f'phone_style = "{style}"'))
    assert _out(pinned_book, "contacts", "list") == (LISTING / f"list-{style}.tsv").read_bytes()


def test_auto_phones_are_national_for_the_own_country_as_before(pinned_book, home):
    config = home / "config.toml"
    config.write_text(config.read_text().replace('own_country = "FR"', 'own_country = "GB"'))
    assert _out(pinned_book, "contacts", "list") == (LISTING / "list-auto-gb.tsv").read_bytes()


def test_the_count_of_a_piped_list_is_on_stderr(pinned_book):
    result = pinned_book("contacts", "list")
    assert result.stderr == "26 contact(s)\n"
    assert pinned_book("contacts", "list", "--tag", "nothing-has-this").stderr == "0 contact(s)\n"
    assert pinned_book("contacts", "list", "--json").stderr == ""


def test_an_unknown_column_is_refused_before_any_row(pinned_book):
    result = pinned_book("contacts", "list", "--columns", "name,shoe-size")
    assert result.exit_code == 2
    assert "shoe-size" in result.stderr and result.stdout == ""


def test_a_failed_export_leaves_the_file_it_would_replace(pinned_book, home, tmp_path):
    out = tmp_path / "exports" / "contacts.csv"
    out.parent.mkdir()
    out.write_text("the previous export\n")
    with home_store(home) as store, store.transaction():  # the last contact listed has a
        store.db.execute(  # stored number no one can show: 25 rows are written before it
            "UPDATE contact_phones SET e164 = '+999' WHERE contact_id = "
            "(SELECT id FROM contacts ORDER BY sort_name DESC, id DESC LIMIT 1)")
    result = pinned_book("contacts", "export", "--format", "csv", "--out", out)
    assert result.exit_code == 3
    assert "+999" in result.stderr and "Traceback" not in result.stderr
    assert out.read_text() == "the previous export\n"
    assert [p.name for p in out.parent.iterdir()] == ["contacts.csv"]


def test_the_console_script_streams_to_a_pipe(pinned_book, home, console_script):
    """A real pipe, a real process: the first line arrives and the rest follows."""
    import subprocess

    env = {**os.environ, "PRESSCTL_HOME": str(home)}
    with subprocess.Popen([str(console_script), "contacts", "list", "--json"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out == (LISTING / "list.json").read_bytes()
