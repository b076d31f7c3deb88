"""DKIM at send time (issue 10): with [dkim] set, every message a run delivers, and a
proof, leaves signed, and dkimpy verifies what the relay received against the published
record; a key that cannot sign stops the run before any row is claimed; `smtp test` and
the config file say whether signing works."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

import dkim
import pytest
from conftest import home_of
from dkim.util import parse_tag_value
from test_delivery_run import APPROVED, Clock, approve, book_with, states

from pressctl.book.session import Book
from pressctl.config import load_settings
from pressctl.config.dkim import DkimSettings
from pressctl.delivery.dkim import generate_key
from pressctl.delivery.run import run_outbox
from pressctl.errors import ConfigError


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dkim")
    return generate_key("press2026", "cnes.fr", folder / "dkim-press2026.pem")


def _dns(record):
    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        return "".join(record.strings).encode("ascii") if name == f"{record.name}.".encode() \
            else None
    return lookup


def _signing(book: Book, server, dkim_settings: DkimSettings) -> Book:
    settings = replace(book.settings, smtp=server.settings(), dkim=dkim_settings)
    return Book(book.store, settings, book.now)


def test_every_message_of_a_run_reaches_the_relay_signed_and_verifies(book, tmp_path,
                                                                     smtp_server, pair):
    mailout_id = approve(book_with(book, tmp_path, 5), tmp_path)
    signing = _signing(book, smtp_server, DkimSettings("cnes.fr", "press2026",
                                                       key_file=pair.key_file))
    report = run_outbox(signing, home=home_of(book), env={}, now=Clock(APPROVED))
    assert report.ok and report.sent == states(book, mailout_id)["sent"] >= 5
    assert len(smtp_server.messages) == report.sent
    for message in smtp_server.messages:
        raw = message.data
        assert dkim.verify(raw, dnsfunc=_dns(pair.record)), raw[:400]
        head, _ = dkim.rfc822_parse(raw)
        assert head[0][0] == b"DKIM-Signature"  # on top, added as the message left
        tags = parse_tag_value(head[0][1])
        assert (tags[b"a"], tags[b"c"], tags[b"d"], tags[b"s"]) == (
            b"rsa-sha256", b"relaxed/relaxed", b"cnes.fr", b"press2026")
        signed = {name.strip() for name in tags[b"h"].split(b":")}
        assert {b"from", b"to", b"subject", b"list-unsubscribe", b"message-id"} <= signed


def test_a_message_changed_on_the_way_no_longer_verifies(book, tmp_path, smtp_server, pair):
    approve(book_with(book, tmp_path, 1), tmp_path)
    signing = _signing(book, smtp_server, DkimSettings("cnes.fr", "press2026",
                                                       key_file=pair.key_file))
    run_outbox(signing, home=home_of(book), env={}, now=Clock(APPROVED))
    raw = smtp_server.messages[0].data
    assert dkim.verify(raw, dnsfunc=_dns(pair.record))
    tampered = raw.replace(b"Body of the release.", b"Body of the release!")
    assert tampered != raw and not dkim.verify(tampered, dnsfunc=_dns(pair.record))


def test_a_key_that_cannot_sign_stops_the_run_before_any_row_is_claimed(book, tmp_path,
                                                                       smtp_server, pair):
    mailout_id = approve(book_with(book, tmp_path, 3), tmp_path)
    loose = tmp_path / "loose.pem"
    loose.write_bytes(pair.key_file.read_bytes())
    loose.chmod(0o644)  # readable by others: refused
    signing = _signing(book, smtp_server, DkimSettings("cnes.fr", "press2026", key_file=loose))
    before = states(book, mailout_id)
    with pytest.raises(ConfigError) as raised:
        run_outbox(signing, home=home_of(book), env={}, now=Clock(APPROVED))
    assert "chmod 600" in str(raised.value) and "PRIVATE KEY" not in str(raised.value)
    assert states(book, mailout_id) == before and Counter(before)["queued"] > 0
    assert smtp_server.messages == []


def test_the_config_file_dkim_table_reaches_the_settings(tmp_path, pair):
    config = tmp_path / "config.toml"
    config.write_text('[dkim]\ndomain = "CNES.fr"\nselector = "press2026"\n'
                      f'key_file = "{pair.key_file.name}"\n', encoding="utf-8")
    assert load_settings(config).dkim == DkimSettings(
        "cnes.fr", "press2026", key_file=tmp_path / pair.key_file.name)
    config.write_text('[dkim]\ndomain = "cnes.fr"\nselector = "s1"\nkey = "k.pem"\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'key' in \\[dkim\\]"):
        load_settings(config)


def _with_dkim(home: Path, key_file: Path) -> None:
    """The home's config.toml with a [dkim] table of its own (replacing the default file's
    commented one, and the one a previous call wrote)."""
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8").split("\n# test's [dkim]\n")[0]
    config.write_text(text.replace("[dkim]\n", "") + (
        f'\n# test\'s [dkim]\n[dkim]\ndomain = "cnes.fr"\nselector = "press2026"\n'
        f'key_file = "{key_file}"\n'), encoding="utf-8")


def test_smtp_test_says_whether_signing_works(cli, home, pair, tmp_path):
    _with_dkim(home, pair.key_file)
    result = cli("smtp", "test")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("DKIM signing works: d=cnes.fr s=press2026")
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key\n", encoding="utf-8")
    os.chmod(broken, 0o600)
    _with_dkim(home, broken)
    result = cli("smtp", "test")
    assert result.exit_code == 4 and "broken.pem" in result.stderr
    assert "not a key" not in result.stderr + result.stdout  # the key file's text is a secret


def test_a_proof_is_signed_as_the_real_message_would_be(cli, home, pair, tmp_path):
    from conftest import SAMPLES

    assert cli("contacts", "import", SAMPLES / "contacts.csv").exit_code == 0
    _with_dkim(home, pair.key_file)
    release = Path(__file__).resolve().parents[2] / "examples"
    files = sorted(release.glob("*.en.md")) or sorted(release.rglob("*.md"))
    result = cli("release", "proof", files[0], "--to", "officer@cnes.fr")
    assert result.exit_code == 0, result.stderr
    [proof] = list((home / "outbox" / "new").iterdir())
    assert dkim.verify(proof.read_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"),
                       dnsfunc=_dns(pair.record))

