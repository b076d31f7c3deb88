"""The in-flight mark is the last thing before a message's final dot (pressctl.delivery.
inflight.InFlightFlag): set after the commit, before the relay can have the message, and
with no Python code run between the mark and the socket write, so no other thread of the
process can take the interpreter there and a kill cannot find a row marked whose dot never
left for lack of a turn."""

from __future__ import annotations

import sys

from pressctl.delivery.inflight import InflightJournal, Status, read_entries
from pressctl.delivery.transport import SmtpTransport
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
        pipelining_server, tmp_path):
    """The interpreter lets another thread run only on entering Python code (or a loop):
    between the flag's store and the socket's sendall there must be neither."""
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
            if event == "c_call" and name == "sendall":
                state["after_set"] = False

    sys.setprofile(profile)
    try:
        outcome = transport.send(SENDER, "r0@example.net", wire(0), commit=commit)
    finally:
        sys.setprofile(None)
    transport.close()
    assert outcome.status == "sent"
    assert len(flags) == 1
    assert events[0] == ("c_call", "sendall"), events[:5]


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
