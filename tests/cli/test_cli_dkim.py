"""`pressctl dkim keygen|check`: exit codes (0, 3, 4), stdout and stderr kept apart.

These commands never open the book: they run on a bare home folder (a config.toml and a
key), so they do not need the ``home`` fixture's two backends."""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from pressctl.cli.app import build_app


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text('[contacts]\ndefault_region = "FR"\n', encoding="utf-8")
    monkeypatch.setenv("PRESSCTL_HOME", str(home))
    monkeypatch.delenv("PRESSCTL_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def run(bare_home):
    def invoke(*args: str):
        argv = [str(a) for a in args]
        return CliRunner().invoke(build_app(argv), argv, catch_exceptions=False)
    return invoke


def add_dkim(home: Path, lines: str) -> None:
    with (home / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + lines)


def test_keygen_writes_the_key_beside_the_config_and_prints_the_record_and_config(run, bare_home):
    result = run("dkim", "keygen", "--selector", "press2026", "--domain", "cnes.fr")
    assert result.exit_code == 0, result.stderr
    key = bare_home / "dkim-press2026.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert f"Wrote a 2048-bit RSA private key to {key}" in result.stderr
    assert "  name:  press2026._domainkey.cnes.fr\n" in result.stdout
    assert "  value: v=DKIM1; k=rsa; p=MIIB" in result.stdout
    assert 'press2026._domainkey.cnes.fr. IN TXT ( "v=DKIM1; k=rsa; p=' in result.stdout
    assert ('[dkim]\ndomain = "cnes.fr"\nselector = "press2026"\n'
            'key_file = "dkim-press2026.pem"\n') in result.stdout
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_the_config_lines_keygen_prints_make_check_pass(run, bare_home):
    result = run("dkim", "keygen", "--selector", "press2026", "--domain", "cnes.fr")
    add_dkim(bare_home, result.stdout[result.stdout.index("[dkim]"):])
    result = run("dkim", "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("DKIM signing works: d=cnes.fr s=press2026, RSA 2048 bits")
    assert "The TXT record to publish: press2026._domainkey.cnes.fr\n" in result.stdout


def test_keygen_json_gives_the_record_in_dns_strings(run, tmp_path):
    out = tmp_path / "keys" / "k.pem"
    result = run("dkim", "keygen", "--selector", "s1", "--domain", "CNES.fr", "--out", out,
                 "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["key_file"] == str(out) and found["bits"] == 2048
    assert found["domain"] == "cnes.fr" and found["selector"] == "s1"
    record = found["record"]
    assert record["name"] == "s1._domainkey.cnes.fr"
    assert "".join(record["strings"]) == record["value"]
    assert all(len(s) <= 255 for s in record["strings"])
    assert f'key_file = "{out}"' in found["config"]  # outside the home: an absolute path
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_keygen_never_overwrites_a_key_and_exits_3(run, bare_home):
    assert run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr").exit_code == 0
    key = bare_home / "dkim-s1.pem"
    before = key.read_bytes()
    result = run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr")
    assert result.exit_code == 3
    assert f"Error: {key} already exists: nothing was written" in result.stderr
    assert result.stdout == "" and key.read_bytes() == before


def test_keygen_refuses_a_bad_domain_with_exit_3(run, bare_home):
    result = run("dkim", "keygen", "--selector", "s1", "--domain", "localhost")
    assert result.exit_code == 3
    assert "--domain 'localhost' is not a domain name" in result.stderr
    assert not list(bare_home.glob("*.pem"))


def test_keygen_into_a_home_that_does_not_exist_is_exit_4(run, tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSCTL_HOME", str(tmp_path / "typo"))
    result = run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr")
    assert result.exit_code == 4
    assert "no pressctl home at" in result.stderr
    assert not (tmp_path / "typo").exists()


def test_check_without_a_dkim_table_is_exit_4(run, bare_home):
    result = run("dkim", "check")
    assert result.exit_code == 4
    assert f"{bare_home / 'config.toml'}: no [dkim] table" in result.stderr
    assert "pressctl dkim keygen" in result.stderr and result.stdout == ""


def test_check_refuses_a_key_others_may_read_with_exit_4(run, bare_home):
    run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr")
    add_dkim(bare_home, '[dkim]\ndomain = "cnes.fr"\nselector = "s1"\nkey_file = "dkim-s1.pem"\n')
    key = bare_home / "dkim-s1.pem"
    key.chmod(0o644)
    result = run("dkim", "check")
    assert result.exit_code == 4
    assert f"chmod 600 {key}" in result.stderr and result.stdout == ""


def test_check_with_a_bad_table_names_the_file_and_exits_4(run, bare_home):
    add_dkim(bare_home, '[dkim]\ndomain = "cnes.fr"\nselector = "s1"\nkey_file = "k.pem"\n'
                        'key_command = "pass show dkim"\n')
    result = run("dkim", "check")
    assert result.exit_code == 4
    assert f"{bare_home / 'config.toml'}: [dkim] has both key_file and key_command" \
        in result.stderr


def test_check_never_prints_the_key_or_a_failing_commands_output(run, bare_home, tmp_path):
    run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr")
    pem = (bare_home / "dkim-s1.pem").read_bytes()
    secret = [line for line in pem.decode().splitlines() if not line.startswith("-----")]
    helper = tmp_path / "helper.py"
    helper.write_text(f"import sys\nsys.stdout.write({pem.decode()!r})\n"
                      f"sys.stderr.write({pem.decode()!r})\nsys.exit(2)\n")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(helper))}"
    add_dkim(bare_home, f'[dkim]\ndomain = "cnes.fr"\nselector = "s1"\n'
                        f"key_command = {json.dumps(command)}\n")
    result = run("dkim", "check")
    assert result.exit_code == 4
    assert "exit status 2" in result.stderr
    assert not any(line in result.stdout + result.stderr for line in secret)


def test_check_json_reports_what_is_signed_and_the_record(run, bare_home):
    made = json.loads(run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr",
                          "--json").stdout)
    add_dkim(bare_home, made["config"])
    result = run("dkim", "check", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["ok"] is True and found["bits"] == 2048
    assert found["algorithm"] == "rsa-sha256" and found["canonicalization"] == "relaxed/relaxed"
    assert found["record"] == made["record"]
    assert {"from", "list-unsubscribe", "list-unsubscribe-post"} <= set(found["signed"])


def test_the_printed_record_verifies_what_the_configured_key_signs(run, bare_home):
    # What keygen tells the user to publish is what receivers will check signatures with.
    from datetime import UTC, datetime

    from pressctl.config import load_settings
    from pressctl.delivery.dkim import DkimSigner

    made = json.loads(run("dkim", "keygen", "--selector", "s1", "--domain", "cnes.fr",
                          "--json").stdout)
    add_dkim(bare_home, made["config"])
    signer = DkimSigner(load_settings(bare_home / "config.toml").dkim, env=dict(os.environ))
    raw = b"From: Presse <presse@cnes.fr>\r\nTo: j@example.org\r\nSubject: s\r\n\r\nHello\r\n"
    signed = signer.sign(raw, now=datetime(2025, 1, 1, tzinfo=UTC))
    value = "".join(made["record"]["strings"]).encode()
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5:
                       value if name == b"s1._domainkey.cnes.fr." else None)
    key = serialization.load_pem_private_key((bare_home / "dkim-s1.pem").read_bytes(), None)
    assert key.key_size == 2048


def test_the_dkim_group_is_listed_in_the_help(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "dkim" in result.stdout
