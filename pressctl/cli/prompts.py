"""The yes/no questions commands ask before they change anything, and what a "no" does.

A "no" is the user's choice, not a failure: the command says what was left undone
("Nothing approved: no mailout was stored.") and exits with EXIT_DECLINED (6), never 1,
which the README keeps for bugs. End of input and Ctrl-C at the question are a "no" too:
nothing has been done yet, so there is nothing to interrupt.

The question goes to stderr with the other diagnostics, so that `--json > file` on a
terminal keeps the file clean.
"""

from __future__ import annotations

import sys

import typer

from pressctl.errors import EXIT_DECLINED


def interactive() -> bool:
    """Whether a person can answer a question: stdin is a terminal (tests replace it)."""
    return sys.stdin.isatty()


def confirm_or_stop(question: str, nothing: str) -> None:
    """Ask ``question``; unless the answer is yes, print ``nothing`` (what was not done)
    on stderr and exit with EXIT_DECLINED."""
    try:
        answered = typer.confirm(question, err=True)
    except typer.Abort:  # Ctrl-C or end of input at the question
        sys.stderr.write("\n")
        answered = False
    if not answered:
        sys.stderr.write(f"{nothing}\n")
        raise typer.Exit(EXIT_DECLINED)
