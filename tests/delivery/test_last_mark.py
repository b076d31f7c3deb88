"""The in-flight mark is the last thing before a message's final dot (pressctl.delivery.
inflight.InFlightFlag): set after the commit, before the relay can have the message, and
with no Python code run between the mark and the socket write, which keeps the
interpreter's lock (send(2) through ctypes.PyDLL, not sendall), so no other thread of the
process can take the interpreter there and a kill cannot find a row marked whose dot never
left for lack of a turn."""

from __future__ import annotations

import ctypes
import socket
import sys

import pytest

from pressctl.delivery.inflight import InflightJournal, Status, read_entries
from pressctl.delivery.transport import SmtpTransport, smtp
from pressctl.delivery.transport.base import Wire
from pressctl.delivery.transport.maildir import FileTransport
from pressctl.delivery.transport.recorder import RecordingTransport
from pressctl.delivery.wire import stuff

SENDER = "a@example.org"
RUN = "run-under-test"


def wire(n: int) -> Wire:
    return Wire(stuff(f"Subject: m{n}\r\nFrom: {SENDER}\r\n\r\nbody {n}\r\n".encode()))


class Watched:
    """A real flag of a real journal, noting what the relay had when it was set."""

    def __init__(self, journal: InflightJournal, row_id: int, seen) -> None:
        self.flag = journal.flag(journal.begin(0, row_id))
        self.seen, self.when = seen, []

    def set(self) -> None:
        self.when.append(self.seen())
        self.flag.set()


def test_over_smtp_the_mark_comes_after_the_commit_and_before_the_relay_has_the_message(
        pipelining_server, tmp_path):
    journal = InflightJournal(tmp_path, RUN, 1)
    transport = SmtpTransport(pipelining_server.settings(), {})
    order, marks = [], []

    def commit_for(n: int):
        def commit():
            order.append(f"commit {n}")
            marks.append(Watched(journal, 100 + n, lambda: len(pipelining_server.messages)))
            return marks[-1]
        return commit

    for n in range(3):
        following = (lambda n=n: (SENDER, f"r{n + 1}@example.net", wire(n + 1))) \
            if n < 2 else None
        outcome = transport.send(SENDER, f"r{n}@example.net", wire(n), commit=commit_for(n),
                                 following=following)
        assert outcome.status == "sent"
    transport.close()
    assert order == ["commit 0", "commit 1", "commit 2"]
    assert [mark.when for mark in marks] == [[0], [1], [2]]  # once each, before the dot
    entries = read_entries(tmp_path, RUN)
    assert entries is not None
    assert {row: entry.status for row, entry in entries.items()} == {
        100: Status.IN_FLIGHT, 101: Status.IN_FLIGHT, 102: Status.IN_FLIGHT}


def test_no_python_code_runs_between_the_mark_and_the_write_of_the_dot(
        pipelining_server, tmp_path, monkeypatch):
    """The interpreter lets another thread run only on entering Python code, in a loop, or
    where a C call gives its lock up (as socket.sendall does before its system call):
    between the flag's store and the dot's send(2) there must be none of them. The send is
    wrapped here in a Python function so that the profiler sees it: it must be the very
    next event after the flag's set returns."""
    real = smtp._dot_writer(socket.socket())  # libc's send, as the transport loads it
    assert real is not None
    sent: list[bytes] = []

    def send_seen(fd: int, data: bytes, size: int, flags: int) -> int:
        sent.append(data)
        return real(fd, data, size, flags)

    monkeypatch.setattr(smtp, "_raw_send", send_seen)
    journal = InflightJournal(tmp_path, RUN, 1)
    transport = SmtpTransport(pipelining_server.settings(), {})
    flags = []

    def commit():
        flags.append(journal.flag(journal.begin(0, 7)))
        return flags[-1]

    events: list[tuple[str, str]] = []
    state = {"after_set": False}

    def profile(frame, event, arg):
        name = arg.__name__ if event.startswith("c_") else frame.f_code.co_name
        if event == "return" and frame.f_code.co_name == "set" \
                and type(frame.f_locals.get("self")).__name__ == "InFlightFlag":
            state["after_set"] = True
            return
        if state["after_set"]:
            events.append((event, name))
            state["after_set"] = False

    sys.setprofile(profile)
    try:
        outcome = transport.send(SENDER, "r0@example.net", wire(0), commit=commit)
    finally:
        sys.setprofile(None)
    transport.close()
    assert outcome.status == "sent"
    assert len(flags) == 1
    assert events == [("call", "send_seen")]
    assert sent == [b".\r\n"]
    assert len(pipelining_server.messages) == 1


def test_the_dot_is_written_holding_the_interpreter_lock_on_a_plain_socket_only():
    """ctypes.PyDLL functions keep the lock during the call (FUNCFLAG_PYTHONAPI); a TLS
    socket's dot goes through its SSL layer (sendall)."""
    import ssl

    plain = socket.socket()
    try:
        writer = smtp._dot_writer(plain)
        assert writer is not None
        assert writer._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
        assert smtp._NOW & socket.MSG_DONTWAIT  # it never blocks while holding the lock
        wrapped = ssl.create_default_context().wrap_socket(
            socket.socket(), server_hostname="localhost", do_handshake_on_connect=False)
        assert smtp._dot_writer(wrapped) is None
        wrapped.close()
    finally:
        plain.close()


@pytest.mark.parametrize("took", [-1, 0, 1, 2])
def test_a_dot_the_socket_takes_only_in_part_is_finished_by_sendall(
        pipelining_server, monkeypatch, took):
    """send(2) without waiting may take less than the dot and the next envelope (a full
    send buffer: -1, EAGAIN) or part of them: the rest goes by sendall, and the relay gets
    every message whole, once."""
    real = smtp._dot_writer(socket.socket())
    assert real is not None
    calls = []

    def partial(fd: int, data: bytes, size: int, flags: int) -> int:
        calls.append(data)
        if took <= 0:
            return took
        return real(fd, data[:took], took, flags)

    monkeypatch.setattr(smtp, "_raw_send", partial)
    transport = SmtpTransport(pipelining_server.settings(), {})
    for n in range(3):
        following = (lambda n=n: (SENDER, f"r{n + 1}@example.net", wire(n + 1))) \
            if n < 2 else None
        outcome = transport.send(SENDER, f"r{n}@example.net", wire(n), following=following,
                                 commit=lambda: True)
        assert outcome.status == "sent", outcome
    transport.close()
    assert len(calls) == 3
    assert sorted(m.rcpt_tos[0] for m in pipelining_server.messages) == [
        "r0@example.net", "r1@example.net", "r2@example.net"]
    assert sorted(m.data for m in pipelining_server.messages) == [
        f"Subject: m{n}\r\nFrom: {SENDER}\r\n\r\nbody {n}\r\n".encode() for n in range(3)]


def test_the_file_transports_mark_before_the_message_reaches_new(tmp_path):
    journal = InflightJournal(tmp_path / "journal", RUN, 1)
    folder = tmp_path / "Maildir"
    transport = FileTransport(folder, fsync=False)
    marks = []

    def commit():
        marks.append(Watched(journal, 5, lambda: sorted(p.name for p in (folder / "new").iterdir())))
        return marks[-1]

    outcome = transport.send(SENDER, "r0@example.net", b"Subject: x\r\n\r\nbody\r\n",
                             crlf=True, commit=commit)
    assert outcome.status == "sent"
    assert [mark.when for mark in marks] == [[[]]]  # set once, while new/ was empty
    assert len(list((folder / "new").iterdir())) == 1
    assert read_entries(tmp_path / "journal", RUN)[5].status == Status.IN_FLIGHT


def test_a_withheld_commit_sets_no_mark_and_sends_nothing(tmp_path, pipelining_server):
    journal = InflightJournal(tmp_path, RUN, 1)
    transport = SmtpTransport(pipelining_server.settings(), {})
    journal.begin(0, 9)
    outcome = transport.send(SENDER, "r0@example.net", wire(0), commit=lambda: False)
    transport.close()
    assert outcome.status == "interrupted"
    assert pipelining_server.messages == []
    assert read_entries(tmp_path, RUN) == {}


def test_the_recorder_sets_the_mark_of_each_message_it_records(tmp_path):
    journal = InflightJournal(tmp_path, RUN, 1)
    transport = RecordingTransport()
    marks = []

    def commit():
        marks.append(Watched(journal, 3, lambda: len(transport.sent)))
        return marks[-1]

    transport.send(SENDER, "r0@example.net", b"x\r\n", commit=commit)
    assert [mark.when for mark in marks] == [[0]]
    assert read_entries(tmp_path, RUN)[3].status == Status.IN_FLIGHT
