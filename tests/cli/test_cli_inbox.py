"""`pressctl inbox import`, `contacts unbounce`, and bouncing addresses in `contacts show`
and `contacts check`, through the CLI (exit codes, stdout and stderr apart). The
invitation is delivered for real (aiosmtpd on loopback) before each test; both backends.

`inbox import --imap` runs against a real IMAP server: Dovecot from Debian's packages
(dovecot-imapd), started for this module on a loopback port, unprivileged (as the tests'
user, or as nobody when they run as root), with a certificate of a test authority
(trustme) that SSL_CERT_FILE makes trusted. Without Dovecot those tests are skipped, or
failed when PRESSCTL_REQUIRE_IMAP=1 (CI).
"""

from __future__ import annotations

import grp
import json
import mailbox
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import trustme
from conftest import db_snapshot, home_store
from returned_mail import (
    JEAN,
    NINA,
    book_with_journalists,
    hard_bounce,
    maildir,
    rsvp,
    sample,
    send,
    soft_bounce,
)
from smtp_fixtures import free_port, smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.session import Book
from pressctl.config import Settings


@pytest.fixture
def sent(cli, home, tmp_path, smtp_server):  # noqa: F811
    """The invitation PR301-2030 delivered to four journalists of the home's book."""
    with home_store(home) as store:
        return send(book_with_journalists(Book(store, Settings(), "2030-06-01T09:00:00Z"),
                                          tmp_path), tmp_path, smtp_server)


@pytest.fixture
def returned(sent, tmp_path):
    """A Maildir: Jean's hard bounce, a forged bounce, a malformed one, an answer."""
    forged = hard_bounce(sent.rows[JEAN], "forged", message_id="<forged@cnes.fr>",
                         token="B" * 32)
    return maildir(tmp_path / "returned", hard_bounce(sent.rows[JEAN], "hard-1"), forged,
                   sample("malformed-dsn.eml"), rsvp(sent.uid, "answer-1"))


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def test_inbox_import_json_gives_the_counts_and_what_changed_nothing(cli, returned):
    report = json.loads(_ok(cli("inbox", "import", returned, "--json")).stdout)
    assert report["messages"] == 4 and report["seen"] == 0
    assert report["recorded"] == {"bounce": 1, "rsvp": 1, "unsubscribe": 0, "auto-reply": 0,
                                  "human-reply": 0}
    assert report["bounces"] == {"hard": 1, "soft": 0}
    assert [b["address"] for b in report["bouncing"]] == [JEAN]
    assert [p["why"][:16] for p in report["not_matched"]] == ["not one of ours:"]
    assert [p["kind"] for p in report["unreadable"]] == ["unreadable"]
    again = json.loads(_ok(cli("inbox", "import", returned, "--json")).stdout)
    assert (again["seen"], again["bouncing"], sum(again["recorded"].values())) == (2, [], 0)


def test_inbox_import_prints_a_table_on_stdout_and_the_details_on_stderr(cli, returned):
    result = _ok(cli("inbox", "import", returned))
    lines = result.stdout.splitlines()
    assert lines[0] == "messages\tcount"
    assert "bounces\t1" in lines and "answers to invitations\t1" in lines
    assert "not ours (nothing changed)\t1" in lines and "unreadable (nothing changed)\t1" in lines
    assert re.search(rf"now bouncing: {re.escape(JEAN)} since \d{{4}}-\d\d-\d\d \(550 5\.1\.1",
                     result.stderr)
    assert "Warning: " in result.stderr and "not one of ours" in result.stderr
    assert "unreadable: a delivery report" in result.stderr
    assert "4 message(s) in" in result.stderr


def test_inbox_import_of_a_path_that_is_no_mailbox_exits_3_and_changes_nothing(cli, home,
                                                                              sent, tmp_path):
    (tmp_path / "plain").mkdir()
    before = db_snapshot(home)
    result = cli("inbox", "import", tmp_path / "plain")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {tmp_path / 'plain'}: a folder, but not a Maildir")
    assert db_snapshot(home) == before


def test_contacts_show_and_check_name_a_bouncing_address(cli, returned):
    _ok(cli("inbox", "import", returned))
    shown = _ok(cli("contacts", "show", JEAN)).stdout
    assert re.search(rf"bouncing\s+{re.escape(JEAN)} bouncing since \d{{4}}-\d\d-\d\d "
                     r"\(550 5\.1\.1 <j\.martin@lemonde\.example>: Recipient address", shown)
    data = json.loads(_ok(cli("contacts", "show", JEAN, "--json")).stdout)
    [state] = data["bouncing"]
    assert state["address"] == JEAN and state["reason"].startswith("550 5.1.1")
    check = cli("contacts", "check", "--tag", "inbox")
    assert check.exit_code == 0, check.stderr  # a warning, not an error
    assert re.search(rf"^warning: contact #\d+ Jean Martin: e-mail {re.escape(JEAN)} is "
                     r"bouncing since .*: fix the address or `pressctl contacts unbounce "
                     rf"{re.escape(JEAN)}`$", check.stdout, re.MULTILINE)
    others = json.loads(_ok(cli("contacts", "show", "l.moreau@afp.example", "--json")).stdout)
    assert others["bouncing"] == []


def test_contacts_unbounce_clears_it_records_who_and_refuses_twice(cli, returned):
    _ok(cli("inbox", "import", returned))
    result = _ok(cli("--as", "anne", "contacts", "unbounce", JEAN))
    assert f"{JEAN} (contact #" in result.stderr and "is mailed again" in result.stderr
    assert json.loads(_ok(cli("contacts", "show", JEAN, "--json")).stdout)["bouncing"] == []
    log = json.loads(_ok(cli("log", "--contact", JEAN, "--json")).stdout)
    assert log[-1]["actor"] == "anne"
    assert log[-1]["summary"].startswith(f"{JEAN} no longer bouncing")
    again = cli("contacts", "unbounce", JEAN)
    assert again.exit_code == 3
    assert f"Error: {JEAN} is not bouncing" in again.stderr


def test_the_soft_bounce_limit_is_read_from_the_inbox_settings(cli, home, sent, tmp_path):
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "# soft_bounces = 3\n# soft_days = 30\n" in text  # `init` writes the defaults
    config.write_text(text.replace("# soft_bounces = 3\n# soft_days = 30\n",
                                   "soft_bounces = 1\nsoft_days = 7\n"), encoding="utf-8")
    folder = maildir(tmp_path / "soft", soft_bounce(sent.rows[NINA], "s1",
                                                    date="Mon, 4 Mar 2030 09:00:00 +0000"))
    report = json.loads(_ok(cli("inbox", "import", folder, "--json")).stdout)
    assert [b["reason"][:32] for b in report["bouncing"]] == ["1 soft bounces within 7 days; th"]


def test_inbox_import_help_has_an_example(cli):
    result = _ok(cli("inbox", "import", "--help"))
    assert "Example: pressctl inbox import" in result.stdout


# -- IMAP ------------------------------------------------------------------------------------

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "long-IMAP-secret-0451"  # no space: a static passdb splits its args on them


class Dovecot:
    """A Dovecot of the tests' own: its folder, port, users and their Maildirs."""

    def __init__(self, folder: Path, port: int, starttls_port: int, owner: pwd.struct_passwd):
        self.folder, self.port, self.starttls_port, self.owner = folder, port, starttls_port, owner
        self.process: subprocess.Popen | None = None

    def user(self, name: str, *messages: bytes, folder: str = "") -> Path:
        """A user with ``messages`` in INBOX (or in ``folder``), all unread (new/). Every
        user has the one PASSWORD (a static passdb: a passwd-file is read again at most
        once a second, too slow for a user per test)."""
        root = self.folder / "home" / name / "Maildir"
        root.parent.mkdir(parents=True)
        box = mailbox.Maildir(root, create=True)
        if folder:
            box = box.add_folder(folder)
        for message in messages:
            box.add(message)
        self._own(self.folder)
        return root

    def _own(self, path: Path) -> None:
        if os.getuid() == 0:  # the server runs as nobody: its files are nobody's
            for found in [path, *path.rglob("*")]:
                os.chown(found, self.owner.pw_uid, self.owner.pw_gid)


def _config(folder: Path, port: int, starttls_port: int, owner: pwd.struct_passwd) -> str:
    group = owner.pw_gid
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
default_internal_user = {owner.pw_name}
default_internal_group = {grp.getgrgid(group).gr_name}
default_login_user = {owner.pw_name}
auth_mechanisms = plain
first_valid_uid = 1
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={group} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot():
    if not Path(DOVECOT).exists():
        if os.environ.get("PRESSCTL_REQUIRE_IMAP") == "1":
            pytest.fail("Dovecot is not installed: apt-get install -y dovecot-imapd")
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    owner = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
    folder = Path(tempfile.mkdtemp(prefix="pressctl-imap-", dir="/tmp"))  # short: sockets
    folder.chmod(0o755)
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certificate.private_key_pem.write_to_path(str(folder / "key.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    (folder / "run").mkdir()
    port, starttls_port = free_port(), free_port()
    (folder / "dovecot.conf").write_text(_config(folder, port, starttls_port, owner),
                                         encoding="utf-8")
    server = Dovecot(folder, port, starttls_port, owner)
    server._own(folder)
    as_owner = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} \
        if os.getuid() == 0 else {}
    server.process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, **as_owner)  # type: ignore[call-overload]
    try:
        _wait_for(port, server)
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int, server: Dovecot) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            log = (server.folder / "dovecot.log")
            pytest.fail("Dovecot stopped: " + (log.read_text() if log.exists() else "no log"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("Dovecot did not listen within 15 s")


@pytest.fixture
def trusted(dovecot, monkeypatch):
    """The test authority trusted by the standard library's default TLS context."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.folder / "ca.pem"))
    return dovecot


def _user(request) -> str:
    return "u" + str(abs(hash(request.node.nodeid)))[:12]


def _url(server: Dovecot, user: str, folder: str = "INBOX", *, starttls: bool = False) -> str:
    if starttls:
        return f"imap://{user}@127.0.0.1:{server.starttls_port}/{folder}"
    return f"imaps://{user}@127.0.0.1:{server.port}/{folder}"


def test_an_imap_folder_is_read_like_a_maildir_and_nothing_changes_on_the_server(
        cli, trusted, sent, request):
    user = _user(request)
    root = trusted.user(user, hard_bounce(sent.rows[JEAN], "imap-hard"))
    on_disk = sorted(p.name for p in root.rglob("*") if p.is_file() and p.parent.name == "new")
    result = cli("inbox", "import", "--imap", _url(trusted, user), "--json",
                 env={"PRESSCTL_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [b["address"] for b in report["bouncing"]] == [JEAN]
    assert report["source"] == f"imaps://{user}@127.0.0.1:{trusted.port}/INBOX"
    # EXAMINE and BODY.PEEK: the message is still unread, where it was
    assert sorted(p.name for p in (root / "new").iterdir()) == on_disk
    assert not any(":2,S" in p.name for p in root.rglob("*"))
    # the same message read from the Maildir itself is the same message: seen before
    again = json.loads(cli("inbox", "import", root, "--json").stdout)
    assert (again["seen"], again["bounces"]["hard"]) == (1, 0)


def test_the_password_may_come_from_a_command_and_starttls_is_used_on_imap(
        cli, trusted, sent, request, tmp_path):
    user = _user(request)
    trusted.user(user, hard_bounce(sent.rows[JEAN], "imap-hard"), folder="Presse")
    command = tmp_path / "password.sh"
    command.write_text(f"#!/bin/sh\necho '{PASSWORD}'\n", encoding="utf-8")
    command.chmod(0o700)
    result = cli("inbox", "import", "--imap",
                 _url(trusted, user, "Presse", starttls=True),
                 "--password-command", str(command), "--json",
                 env={"PRESSCTL_IMAP_PASSWORD": None})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["bounces"]["hard"] == 1


def test_a_wrong_password_exits_4_without_the_password_and_changes_nothing(
        cli, home, trusted, sent, request):
    user = _user(request)
    trusted.user(user, hard_bounce(sent.rows[JEAN], "imap-hard"))
    before = db_snapshot(home)
    result = cli("inbox", "import", "--imap", _url(trusted, user),
                 env={"PRESSCTL_IMAP_PASSWORD": "not the password"})
    assert result.exit_code == 4
    assert f"refused the login of {user}" in result.stderr
    assert "not the password" not in result.stderr + result.stdout
    assert db_snapshot(home) == before


def test_no_password_anywhere_exits_4_and_never_prompts(cli, trusted, sent, request):
    user = _user(request)
    trusted.user(user)
    result = cli("inbox", "import", "--imap", _url(trusted, user), input="",
                 env={"PRESSCTL_IMAP_PASSWORD": None})
    assert result.exit_code == 4
    assert "PRESSCTL_IMAP_PASSWORD is not set" in result.stderr


def test_a_folder_the_server_does_not_have_exits_3(cli, trusted, sent, request):
    user = _user(request)
    trusted.user(user)
    result = cli("inbox", "import", "--imap", _url(trusted, user, "Nowhere"),
                 env={"PRESSCTL_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 3
    assert 'the server has no folder "Nowhere"' in result.stderr


def test_a_server_whose_certificate_is_not_trusted_exits_4(cli, dovecot, sent, request,
                                                            monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    user = _user(request)
    dovecot.user(user)
    result = cli("inbox", "import", "--imap", _url(dovecot, user),
                 env={"PRESSCTL_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 4
    assert "certificate" in result.stderr


@pytest.mark.parametrize(("url", "expected"), [
    ("imaps://press:secret@imap.example.org/INBOX", "holds a password"),
    ("https://imap.example.org/INBOX", "is not an IMAP URL"),
    ("imaps://imap.example.org/INBOX", "names no user"),
])
def test_a_url_that_is_not_an_imap_folder_exits_3(cli, sent, url, expected):
    result = cli("inbox", "import", "--imap", url, env={"PRESSCTL_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 3
    assert expected in result.stderr
    assert "secret" not in result.stderr


def test_a_path_and_imap_together_are_a_usage_error(cli, sent, tmp_path):
    result = cli("inbox", "import", tmp_path, "--imap", "imaps://u@h/INBOX")
    assert result.exit_code == 2


def test_a_server_that_cannot_be_reached_exits_4_and_changes_nothing(cli, home, sent):
    closed = free_port()  # nothing listens there
    before = db_snapshot(home)
    result = cli("inbox", "import", "--imap", f"imaps://press@127.0.0.1:{closed}/INBOX",
                 env={"PRESSCTL_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 4
    assert f"cannot reach the IMAP server 127.0.0.1:{closed}" in result.stderr
    assert db_snapshot(home) == before
