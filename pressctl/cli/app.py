"""The typer application: global options, the error handler, and the command groups.

Errors are mapped to exit codes here and only here (see pressctl.errors). Groups are
imported lazily: a command pays only for the group it runs.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from pressctl import __version__
from pressctl.cli.context import State
from pressctl.cli.registry import COMMANDS, GROUPS, group_in
from pressctl.errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    DuplicateContact,
    InvalidInput,
    PressctlError,
    ProblemsFound,
)

_PASS_THROUGH = tuple(
    t for t in (typer.Exit, typer.Abort, getattr(typer, "TyperException", None)) if t
)


class PressctlGroup(TyperGroup):
    """Maps every pressctl error to its message and exit code, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except PressctlError as err:
            report_error(ctx, err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("Interrupted.\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as err:  # a bug: one line, the traceback only with --debug
            current = ctx.obj if isinstance(ctx.obj, State) else None
            known = _storage_error(current, err) or _unstorable_text(err)
            if known is not None:
                report_error(ctx, known)
                raise typer.Exit(known.exit_code) from None
            if current is not None and current.debug:
                import traceback

                traceback.print_exc()
            sys.stderr.write(
                f"Error: unexpected {type(err).__name__}: {err} "
                "(this is a bug in pressctl; run with --debug for the traceback)\n"
            )
            raise typer.Exit(EXIT_BUG) from None


def _storage_error(current: State | None, err: Exception) -> PressctlError | None:
    """The StorageError of a sqlite3 error that escaped the store, through the store's own
    translation (only pressctl.store speaks sqlite3)."""
    if type(err).__module__ != "sqlite3" or current is None:
        return None
    from pressctl.store.failures import storage_error

    book = current._book
    try:
        path = book.store.path if book is not None else current.paths.database
    except PressctlError:
        return None
    return storage_error(err, path) if path is not None else None


def _unstorable_text(err: Exception) -> PressctlError | None:
    """Invalid input, not a bug: an argument with bytes that are not UTF-8 (Python keeps
    them as lone surrogates) met where no validation names its field first."""
    if not (isinstance(err, UnicodeEncodeError) and isinstance(err.object, str)
            and "surrogates not allowed" in err.reason):
        return None
    shown = err.object.encode("utf-8", "backslashreplace").decode("utf-8")
    return InvalidInput(f'"{shown}" is not valid text: it holds bytes that are not UTF-8 '
                        "(lone surrogates)", hint="write it in UTF-8")


def report_error(ctx, err: PressctlError) -> None:
    write = sys.stderr.write
    write(f"Error: {err}\n")
    problems = getattr(err, "problems", None)
    if isinstance(err, (ProblemsFound, DuplicateContact)) and problems:
        if len(problems) == 1 and str(problems[0].message) in str(err):
            return
        for problem in problems:
            write(f"  {problem}\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pressctl {__version__}")
        raise typer.Exit()


def _completion_shell(value: str) -> str:
    from pressctl.cli.completion import SHELLS

    if value not in SHELLS:
        raise typer.BadParameter(f"{value!r} is not a shell pressctl completes: use "
                                 f"{', '.join(SHELLS)}")
    return value


def _show_completion(ctx: typer.Context, value: str | None) -> None:
    """--show-completion SHELL: the script on stdout, to install it by hand."""
    if value is None or ctx.resilient_parsing:
        return
    from pressctl.cli.completion import script

    typer.echo(script(_completion_shell(value)))
    raise typer.Exit()


def _install_completion(ctx: typer.Context, value: str | None) -> None:
    """--install-completion SHELL: the script where the shell finds it (see completion)."""
    if value is None or ctx.resilient_parsing:
        return
    import os

    from pressctl.cli.completion import install

    shell = _completion_shell(value)
    target, rc = install(shell, os.environ)
    loaded = f"; {rc} loads it" if rc is not None else ""
    sys.stderr.write(f"{shell} completion installed in {target}{loaded}: it works in the "
                     "next shell you open\n")
    raise typer.Exit()


# Until pressctl.cli.registry lists it (its GROUPS also feed the fast `--help`).
def build_app(argv: list[str] | None = None) -> typer.Typer:
    app = typer.Typer(
        cls=PressctlGroup,
        name="pressctl",
        help="Contacts, releases and embargoed mailouts for press officers.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        add_completion=False,  # ours take the shell as a value (see pressctl.cli.completion)
    )

    @app.callback()
    def main(
        ctx: typer.Context,
        home: Annotated[Path | None, typer.Option(
            "--home", envvar="PRESSCTL_HOME", show_envvar=True,
            help="Home folder for config, database and templates.")] = None,
        db: Annotated[str | None, typer.Option(
            "--db", envvar="PRESSCTL_DB", show_envvar=True,
            help="Database file or postgresql:// URL, overriding the home's.")] = None,
        quiet: Annotated[bool, typer.Option(
            "--quiet", "-q", help="Print only data and errors.")] = False,
        no_color: Annotated[bool, typer.Option(
            "--no-color", help="No colours (also when NO_COLOR is set).")] = False,
        debug: Annotated[bool, typer.Option(
            "--debug", help="Full traceback of an unexpected error.")] = False,
        as_user: Annotated[str | None, typer.Option(
            "--as", metavar="NAME",
            help="Who is acting, recorded with every change (default: PRESSCTL_USER, "
                 "else the login name).")] = None,
        version: Annotated[bool, typer.Option(
            "--version", "-V", callback=_version, is_eager=True,
            help="Show the version and exit.")] = False,
        install_completion: Annotated[str | None, typer.Option(
            "--install-completion", metavar="SHELL", callback=_install_completion,
            is_eager=True, expose_value=False,
            help="Install shell completion: bash, zsh or fish (alone: this shell).")] = None,
        show_completion: Annotated[str | None, typer.Option(
            "--show-completion", metavar="SHELL", callback=_show_completion,
            is_eager=True, expose_value=False,
            help="Print the completion script of bash, zsh or fish (alone: this shell)."
        )] = None,
    ) -> None:
        """Contacts, releases and embargoed mailouts for press officers."""
        ctx.obj = State(home, db, quiet, not no_color, debug, as_user)
        ctx.call_on_close(ctx.obj.close)

    groups = GROUPS
    wanted = group_in(argv or [])
    names = {name for name, _, _ in groups}
    top = {name for name, _ in COMMANDS}
    if wanted in top or wanted not in names:
        import_module("pressctl.cli.setup_cmd").register(app)
        # The registry's summaries (the groups' help), as shell completion shows them
        # when it answers without typer.
        from pressctl.cli.completion import short_help

        summaries = dict(COMMANDS)
        for info in app.registered_commands:
            if info.name in summaries:
                info.short_help = short_help(summaries[info.name])
    for name, module, summary in groups:
        if wanted in names and name != wanted:
            continue
        group = import_module(f"pressctl.cli.{module}").app
        app.add_typer(group, name=name, help=summary)
    return app


def run(argv: list[str]) -> None:
    app = build_app(argv)
    app(args=argv, prog_name="pressctl")
