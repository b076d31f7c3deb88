"""write_private_file given text in chunks (a streamed export): written as they come,
0600, renamed over the target only once whole; a failure between two chunks leaves the
file that was there and no temporary file."""

from __future__ import annotations

import stat
from collections.abc import Iterator

import pytest

from pressctl.config import write_private_file


def test_chunks_are_written_whole_and_private(tmp_path):
    out = tmp_path / "export" / "contacts.csv"
    write_private_file(out, iter(["name\r\n", "Zoë\r\n", "東京\n"]))
    assert out.read_bytes() == "name\r\nZoë\r\n東京\n".encode()  # no newline translation
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_failure_between_chunks_keeps_the_previous_file(tmp_path):
    out = tmp_path / "contacts.csv"
    out.write_text("previous\n")

    def chunks() -> Iterator[str]:
        yield "name\r\n"
        assert not out.read_text().startswith("name")  # the target is untouched meanwhile
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_private_file(out, chunks())
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["contacts.csv"]


def test_text_and_bytes_are_written_as_before(tmp_path):
    write_private_file(tmp_path / "a.txt", "été\n")
    write_private_file(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "été\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
