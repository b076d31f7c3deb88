"""`pressctl optouts serve`: the installed console script serving the one-click
unsubscribe page on a loopback port, asked by urllib, stopped by Ctrl-C (SIGINT); and the
refusals, in-process (exit codes, one clear line)."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pytest
from mailing import release_now

URL = "https://presse.example.org/unsubscribe?t={token}"
STOPPED = "stopped serving the unsubscribe page"


@pytest.fixture
def mailed(sample_book, home, tmp_path) -> tuple[str, str]:
    """The sample book, a one-click URL configured, a release delivered into the home's
    Maildir by `outbox run`: (a recipient's address, the path and query of their link)."""
    cli = sample_book
    (home / "config.toml").write_text(f'[sender]\nunsubscribe_url = "{URL}"\n',
                                      encoding="utf-8")
    created = cli("mailout", "create", release_now(tmp_path), "--yes", "--json")
    assert created.exit_code == 0, created.stderr
    ran = cli("outbox", "run")
    assert ran.exit_code == 0, ran.stderr
    box = mailbox.Maildir(home / "outbox", create=False)
    message = email.message_from_bytes(box.get_bytes(next(iter(box.keys()))),
                                       policy=email.policy.default)
    [link] = re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"]))
    url = urlsplit(link)
    return email.utils.parseaddr(str(message["To"]))[1], f"{url.path}?{url.query}"



def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground command gets it. A test run started in the
    background by a non-interactive shell inherits SIGINT ignored, and so would the
    server (POSIX keeps an ignored signal ignored across exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

class Running:
    """The console script serving, its stderr read line by line as it comes."""

    def __init__(self, console_script: Path, listen: str) -> None:
        self.process = subprocess.Popen(
            [str(console_script), "optouts", "serve", "--listen", listen],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
            preexec_fn=_as_in_a_terminal)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.wait_for(lambda line: " on http://" in line)
        self.base = re.search(r"on (http://[^/]+)/", first).group(1)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, wanted, count: int = 1) -> str:
        """The ``count``-th line ``wanted`` accepts (the server writes a request's access
        line just after its answer)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = [line for line in self.lines if wanted(line)]
            if len(found) >= count:
                return found[count - 1]
            assert self.process.poll() is None, f"the server stopped: {self.lines}"
            time.sleep(0.02)
        raise AssertionError(f"not said in time: {self.lines}")

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; (exit code, stdout)."""
        self.process.send_signal(signal.SIGINT)
        # Not communicate(): it would read stderr too, racing the reader thread for the
        # last lines (the "stopped" one went missing that way under load).
        self.process.wait(timeout=20)
        self._reader.join(5)
        assert self.process.stdout is not None
        return self.process.returncode, self.process.stdout.read()


def fetch(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode("utf-8")
    except HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_serve_answers_over_http_until_ctrl_c_and_logs_no_token(mailed, cli, console_script):
    address, target = mailed
    token = target.partition("?t=")[2]
    server = Running(console_script, "127.0.0.1:0")
    base = server.base
    try:
        assert server.lines[-1] == (f"serving the unsubscribe page on {base}/unsubscribe?t=TOKEN "
                                    "(Ctrl-C to stop)")
        confirm = fetch(base + target)
        assert confirm[0] == 200 and "Confirmer / Confirm" in confirm[1]
        assert _opted_out(cli, address) is False  # GET never unsubscribes
        done = fetch(base + target, b"List-Unsubscribe=One-Click")
        assert done[0] == 200 and "no more press releases from us" in done[1]
        forged = fetch(f"{base}/unsubscribe?t={token[::-1]}", b"List-Unsubscribe=One-Click")
        assert forged[0] == 400 and "This link is not valid." in forged[1]
        assert all(address not in page for _, page in (confirm, done, forged))
        server.wait_for(lambda line: '" 400 ' in line)  # the last request's access line
    finally:
        code, out = server.stop()
    assert code == 130 and out == ""
    assert _opted_out(cli, address) is True
    lines = server.lines
    access = [line for line in lines if '"GET ' in line or '"POST ' in line]
    assert len(access) == 3 and lines[-1] == STOPPED  # one line each, one line to end
    assert '"POST /unsubscribe?t=… HTTP/1.1" 200' in access[1]
    assert token not in "\n".join(lines) and token[::-1] not in "\n".join(lines)


def _opted_out(cli, address: str) -> bool:
    shown = cli("contacts", "show", address, "--json")
    assert shown.exit_code == 0, shown.stderr
    return json.loads(shown.stdout)["opted_out"]


def test_serve_beyond_loopback_and_without_a_one_click_url_warns(home, console_script):
    server = Running(console_script, "0.0.0.0:0")
    try:
        port = int(server.base.rsplit(":", 1)[1])
        assert fetch(f"http://127.0.0.1:{port}/unsubscribe?t=bad")[0] == 400
    finally:
        code, _ = server.stop()
    assert code == 130
    assert server.lines[0] == (
        "Warning: sender.unsubscribe_url is not set in config.toml: messages carry no "
        "one-click link (the page answers at /unsubscribe?t=TOKEN meanwhile)")
    assert server.lines[1] == ("Warning: 0.0.0.0 is reachable from other machines: serve "
                               "the page to the public through the office's HTTPS web server")


@pytest.mark.parametrize("listen", ["8080", "localhost:", "localhost:http",
                                    "127.0.0.1:70000", ":8080"])
def test_serve_refuses_a_listen_address_that_is_not_host_port(cli, listen):
    result = cli("optouts", "serve", "--listen", listen)
    assert result.exit_code == 2
    assert "is not HOST:PORT" in result.stderr


def test_serve_on_a_port_in_use_says_so(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("optouts", "serve", "--listen", f"127.0.0.1:{port}")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port} (")
    assert result.stderr.count("\n") == 1


def test_serve_on_a_home_that_does_not_exist_names_the_init_to_run(cli, missing_home):
    result = cli("optouts", "serve")
    assert result.exit_code == 4
    assert "pressctl init" in result.stderr and result.stderr.count("\n") == 1


def test_serve_without_the_unsubscribe_key_refuses_to_start(cli, home):
    (home / "unsubscribe.key").unlink()
    result = cli("optouts", "serve", "--listen", "127.0.0.1:0")
    assert result.exit_code == 4
    assert "no unsubscribe key" in result.stderr


def test_serve_with_a_url_it_cannot_read_refuses_to_start(cli, home):
    (home / "config.toml").write_text(
        '[sender]\nunsubscribe_url = "https://presse.example.org/u-{token}.html"\n',
        encoding="utf-8")
    result = cli("optouts", "serve", "--listen", "127.0.0.1:0")
    assert result.exit_code == 4
    assert "reads {token} from a query parameter" in result.stderr
