"""The contacts group is split by command family (contacts_cmd, contacts_people_cmd,
contacts_files_cmd) but stays one group: every command a family defines is registered on
the group's app, and `pressctl contacts --help` lists them in the order it always had."""

from __future__ import annotations

import inspect
import re

from typer.testing import CliRunner

HELP_ORDER = ["add", "list", "show", "history", "edit", "remove", "export-person", "forget",
              "tag", "untag", "optout", "optin", "unbounce", "import", "export", "check",
              "duplicates", "merge", "extract"]


def _listed(help_text: str) -> list[str]:
    """The command names of the Commands panel, in order (wrapped summaries skipped)."""
    panel = help_text.split("Commands", 1)[1]
    return re.findall(r"^\S (\S+) {2,}", panel, flags=re.MULTILINE)


def test_contacts_help_lists_every_family_in_the_order_it_always_had():
    from pressctl.cli.app import build_app

    argv = ["contacts", "--help"]
    result = CliRunner().invoke(build_app(argv), argv, env={"NO_COLOR": "1",
                                                            "COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    assert _listed(result.stdout) == HELP_ORDER


def test_every_command_a_family_defines_is_registered_once_on_the_group():
    from pressctl.cli import (
        contacts_cmd,
        contacts_dedupe_cmd,
        contacts_files_cmd,
        contacts_people_cmd,
    )

    infos = contacts_cmd.app.registered_commands
    assert [info.name for info in infos] == HELP_ORDER
    callbacks = [info.callback for info in infos]
    assert len(set(callbacks)) == len(callbacks)
    for module in (contacts_cmd, contacts_people_cmd, contacts_files_cmd, contacts_dedupe_cmd):
        defined = {function for name, function in vars(module).items()
                   if inspect.isfunction(function) and not name.startswith("_")
                   and function.__module__ == module.__name__}
        assert defined and defined <= set(callbacks), module.__name__

