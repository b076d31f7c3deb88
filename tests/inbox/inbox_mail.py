"""Shared by the inbox tests: the sample messages of tests/data/inbox, and a builder for
the small messages a test writes inline (one rule, one message)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "inbox"
OFFICE = "press@cnes.fr"
UNSUBSCRIBE = "unsubscribe@cnes.fr"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def mail(*header_lines: str, body: str = "Bonjour,\n") -> bytes:
    """A message from its header lines and body; a From, Subject and Content-Type are
    added unless given, so a test names only what its rule is about."""
    names = {line.split(":", 1)[0].lower() for line in header_lines}
    defaults = [("from", "From: Jean Martin <j.martin@lemonde.example>"),
                ("to", f"To: {OFFICE}"),
                ("subject", "Subject: Re: Lancement de SWOT-2"),
                ("date", "Date: Mon, 23 Nov 2026 11:02:09 +0100"),
                ("mime-version", "MIME-Version: 1.0"),
                ("content-type", "Content-Type: text/plain; charset=utf-8")]
    lines = [*header_lines, *(line for name, line in defaults if name not in names)]
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")
