"""The console script. Answers ``--version``, ``--help``, the first word of a shell
completion, an `outbox run` with nothing to do (cron's, every minute: see
pressctl.cli.idle) and the common forms of `contacts list` (pressctl.cli.fast_list)
before importing typer, because start-up time is part of the interface
(cron, shell completion, scripts)."""

from __future__ import annotations

import os
import sys

# Set (to anything), the commands the launcher answers without typer (`outbox run` with
# nothing due, `contacts list`) take the full path: to compare the two, or to rule one out.
NO_FAST_PATH = "PRESSCTL_NO_FAST_PATH"


def end_now(code: int) -> None:
    """Exit with ``code`` once stdout and stderr are flushed, without the interpreter's
    teardown: freeing the ~190 modules a list loads (phonenumbers' metadata above all)
    costs ~9 ms, an eighth of the command, for nothing. The fast paths that call this
    have closed what they opened and register no exit handlers. A pipe closed by its
    reader takes the ordinary exit, which reports it as the full path's exit does."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        sys.exit(code)
    os._exit(code)


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
    fast = not os.environ.get(NO_FAST_PATH)
    if fast and args[-2:] == ["outbox", "run"]:
        from pressctl.cli import idle

        if idle.answer(args, os.environ):
            return  # nothing to do: silent, exit 0, as the full path would be
    if fast and "list" in args and "contacts" in args:
        from pressctl.cli import fast_list

        code = fast_list.answer(args, os.environ)
        if code is not None:  # listed (or failed half-way, as the full path would say)
            end_now(code)
    from pressctl.cli.app import run

    if fast and args[-2:] == ["outbox", "run"]:
        # A run with work ends like the fast paths: once it is over (the book closed, the
        # children waited for, the lease given back), tearing the interpreter down costs
        # ~20 ms more, a tenth of a small mailout's run, every minute under cron.
        try:
            run(args)
        except SystemExit as done:
            if done.code is None or isinstance(done.code, int):
                end_now(done.code or 0)
            raise
    run(args)
