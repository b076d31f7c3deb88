"""The console script. Answers ``--version`` and ``--help`` before importing typer,
because start-up time is part of the interface (cron, shell completion, scripts)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from pressctl import __version__

        sys.stdout.write(f"pressctl {__version__}\n")
        return
    if args in ([], ["--help"], ["-h"]):
        from pressctl import __version__
        from pressctl.cli.registry import top_level_help

        sys.stdout.write(top_level_help(__version__))
        return
    from pressctl.cli.app import run

    run(args)
