#!/usr/bin/env python3
"""The bare library loop for delivery: what Python itself costs to send a message over
SMTP, as a reference for `pressctl outbox run` measured in the same run (bench_smtp.py).

    python bench/bare_smtp.py PORT COUNT MESSAGE.eml [--connections 4] [--processes 2]

It sends COUNT copies of one message (CRLF, not yet dot-stuffed) to 127.0.0.1:PORT the
way pressctl's sender does on the wire, and nothing else: CONNECTIONS connections over
PROCESSES forked processes, one thread per connection, each message's MAIL FROM, RCPT TO
and DATA sent with the previous message's final dot (RFC 2920) and every reply read. No
database, no claims, no in-flight file, no per-recipient headers, no outcome bookkeeping:
the floor under any Python sender with this layout. Exit 1 if a reply is not 2xx/354.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
from pathlib import Path

ENVELOPE = b"MAIL FROM:<bench@example.org>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n"


def _reply(reader) -> int:
    """One reply (all its lines); returns its code."""
    while True:
        line = reader.readline()
        if not line:
            raise ConnectionError("the server closed the connection")
        if line[3:4] != b"-":
            return int(line[:3])


def _expect(reader, *wanted: int) -> None:
    for code in wanted:
        got = _reply(reader)
        if got // 100 != code // 100 and got != code:
            raise ConnectionError(f"{got} where {code} was expected")


def connection(port: int, count: int, body: bytes) -> None:
    """One connection sending ``count`` messages, envelopes pipelined with the dots."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as pressctl does
        reader = sock.makefile("rb")
        _expect(reader, 220)
        sock.sendall(b"EHLO bench.example.org\r\n")
        _expect(reader, 250)
        sock.sendall(ENVELOPE)
        for n in range(count):
            _expect(reader, 250, 250, 354)
            sock.sendall(body)
            last = n == count - 1
            sock.sendall(b".\r\n" if last else b".\r\n" + ENVELOPE)
            _expect(reader, 250)
        sock.sendall(b"QUIT\r\n")
        _expect(reader, 221)


def process(port: int, counts: list[int], body: bytes) -> int:
    failures: list[BaseException] = []

    def run(count: int) -> None:
        try:
            connection(port, count, body)
        except BaseException as err:  # reported by the exit status
            failures.append(err)

    threads = [threading.Thread(target=run, args=(c,)) for c in counts if c]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for err in failures:
        print(f"bare_smtp: {err}", file=sys.stderr)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("message", type=Path)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    data = args.message.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    body = (b"." if data.startswith(b".") else b"") + data.replace(b"\r\n.", b"\r\n..")
    per_connection = [args.count // args.connections + (i < args.count % args.connections)
                      for i in range(args.connections)]
    processes = max(1, min(args.processes, args.connections))
    groups = [per_connection[i::processes] for i in range(processes)]
    children = []
    for group in groups[1:]:
        pid = os.fork()
        if pid == 0:
            os._exit(process(args.port, group, body))
        children.append(pid)
    status = process(args.port, groups[0], body)
    for pid in children:
        _, code = os.waitpid(pid, 0)
        status |= os.waitstatus_to_exitcode(code) != 0
    return status


if __name__ == "__main__":
    sys.exit(main())
