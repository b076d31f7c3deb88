"""The console script. Answers ``--version``, ``--help``, the first word of a shell
completion and an `outbox run` with nothing to do (cron's, every minute: see
pressctl.cli.idle) before importing typer, because start-up time is part of the interface
(cron, shell completion, scripts)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if "_PRESSCTL_COMPLETE" in os.environ:  # a TAB (pressctl.cli.completion)
        from pressctl.cli import completion

        code = completion.complete(os.environ)
        if code is not None:
            sys.exit(code)
        from pressctl.cli.app import run

        run(completion.for_typer(os.environ))  # typer answers, then exits
        return
    if args and args[-1] in ("--install-completion", "--show-completion"):
        from pressctl.cli.completion import with_shell

        args = with_shell(args, os.environ)
    if args in (["--version"], ["-V"]):
        from pressctl import __version__

        sys.stdout.write(f"pressctl {__version__}\n")
        return
    if args in ([], ["--help"], ["-h"]):
        from pressctl import __version__
        from pressctl.cli.registry import top_level_help

        sys.stdout.write(top_level_help(__version__))
        return
    if args[-2:] == ["outbox", "run"]:
        from pressctl.cli import idle

        if idle.answer(args, os.environ):
            return  # nothing to do: silent, exit 0, as the full path would be
    from pressctl.cli.app import run

    run(args)
