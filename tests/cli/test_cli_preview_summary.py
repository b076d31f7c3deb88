"""`release preview --all` in flat memory (pressctl.cli.preview_summary): the summary is
written as the messages are built, in the bytes the summary printed whole
(pressctl.cli.views.print_preview_summary) writes, and with --out every message's files
are written as it passes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
from conftest import REPO, SAMPLES

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.cli.output import Output
from pressctl.cli.preview_summary import print_preview_summary
from pressctl.cli.views import print_preview_summary as print_whole
from pressctl.contacts.formats.files import open_contact_file
from pressctl.releases.checking import load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages
from pressctl.releases.templating import Templates

NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def release(tmp_path):
    folder = tmp_path / "release"
    folder.mkdir()
    for language in ("en", "fr"):
        shutil.copy(REPO / "examples" / f"PR106-2020.{language}.md", folder)
    return folder / "PR106-2020.en.md"


@pytest.mark.parametrize("as_json", [False, True])
def test_the_streamed_summary_is_the_whole_one(book, release, capsys, as_json):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    releases = load_release_set(release, NOW.date())
    everyone = select_recipients(book, releases, "all")
    messages = list(build_messages(book, releases, everyone, Templates(), now=NOW))
    capsys.readouterr()
    print_whole(Output(), messages, as_json=as_json)
    whole = capsys.readouterr()
    assert print_preview_summary(Output(), iter(messages), as_json=as_json) == len(messages)
    streamed = capsys.readouterr()
    assert (streamed.out, streamed.err) == (whole.out, whole.err)
    assert streamed.out.count("PR106-2020.fr.md") > 3  # both versions, many rows


def test_rows_are_written_as_messages_come(book, release, capsys, monkeypatch):
    """A failure after some messages leaves the rows already built written (a summary
    gathered first would have written none)."""
    import pressctl.cli.streamed as streamed

    monkeypatch.setattr(streamed, "BLOCK", 1)  # a write per row
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    releases = load_release_set(release, NOW.date())
    messages = build_messages(book, releases, select_recipients(book, releases, "all"),
                              Templates(), now=NOW)

    def three_then_fail():
        for number, message in enumerate(messages):
            if number == 3:
                raise RuntimeError("stop")
            yield message

    with pytest.raises(RuntimeError):
        print_preview_summary(Output(), three_then_fail())
    assert len(capsys.readouterr().out.splitlines()) == 1 + 3  # the header and three rows


def test_preview_all_out_writes_every_message_and_lists_them(sample_book, release, tmp_path):
    out = tmp_path / "previews"
    result = sample_book("release", "preview", release, "--all", "--audience", "all",
                         "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    emls = sorted(out.glob("*.eml"))
    assert len(rows) == len(emls) > 20
    assert [e.name.split("-", 1)[0] for e in emls] == [f"{n:05d}" for n in range(1, len(rows) + 1)]
    assert len(list(out.glob("*.html"))) == len(rows)
    assert f"Wrote the messages into {out}" in result.stderr
    table = sample_book("release", "preview", release, "--all", "--audience", "all")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines[1:]] == [row["recipient"] for row in rows]
    assert f"{len(rows)} message(s) built; nothing was sent" in table.stderr
    assert "do not accept embargoes: they get the public version" in table.stderr
