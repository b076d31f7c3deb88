"""The dependency rules of STYLE.md, checked on the source (stdlib ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"
DOMAIN = {"pressctl.contacts.model", "pressctl.contacts.validation", "pressctl.contacts.phones", "pressctl.contacts.emails",
          "pressctl.contacts.regions", "pressctl.contacts.extraction.text", "pressctl.errors", "pressctl.releases.documents",
          "pressctl.releases.embargo", "pressctl.releases.audience", "pressctl.releases.release_file",
          "pressctl.outbox.policy", "pressctl.outbox.ratelimit"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[_module_name(path)] = names
    return found


IMPORTS = _imports()


def _importers_of(top: str) -> set[str]:
    return {m for m, names in IMPORTS.items()
            if any(n == top or n.startswith(top + ".") for n in names)}


def test_the_scan_sees_the_package():
    assert {"pressctl.store", "pressctl.cli.app", "pressctl.contacts.phones"} <= set(IMPORTS)


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("sqlite3", {m for m in IMPORTS if m.startswith("pressctl.store")} | {"pressctl.store.migrations"}),
        ("typer", {m for m in IMPORTS if m.startswith("pressctl.cli")}),
        ("rich", {m for m in IMPORTS if m.startswith("pressctl.cli")}),
        ("click", set()),
        ("phonenumbers", {"pressctl.contacts.phones", "pressctl.contacts.regions"}),
        ("email_validator", {"pressctl.contacts.emails"}),
        ("platformdirs", {"pressctl.config"}),
        ("jinja2", {"pressctl.releases.templating"}),
        ("markupsafe", {"pressctl.releases.templating"}),
        ("markdown_it", {"pressctl.releases.templating"}),
        ("icalendar", {"pressctl.releases.calendar"}),
        ("smtplib", {"pressctl.delivery.transport"}),
        ("ssl", {"pressctl.delivery.transport"}),
        ("aiosmtpd", set()),  # the tests' server, never the product's
        ("fcntl", set()),  # the outbox lock is a lease in the database, never a home's file
        ("signal", {"pressctl.cli.signals"}),  # the core hears of a stop, never of signals
        ("mmap", {"pressctl.delivery.inflight"}),
    ],
)
def test_only_allowed_modules_import(library, allowed):
    assert _importers_of(library) <= allowed


def test_nothing_outside_the_cli_imports_the_cli():
    outside = {m for m in _importers_of("pressctl.cli") if not m.startswith("pressctl.cli")}
    assert outside <= {"pressctl.__main__"}  # the entry point is the edge's own


@pytest.mark.parametrize("module", sorted(DOMAIN))
def test_domain_modules_do_no_io(module):
    forbidden = {"os", "sys", "sqlite3", "subprocess", "socket", "smtplib", "pathlib",
                 "time", "pressctl.store", "pressctl.config", "pressctl.book.contacts"}
    assert IMPORTS[module] & forbidden == set()


@pytest.mark.parametrize("module", sorted(DOMAIN))
def test_domain_modules_never_read_the_clock(module):
    # datetime is imported for its types; `now` is a parameter, read once at the edge.
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    clock = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("date", "today"), ("time", "time"), ("time", "monotonic")}
    calls = {(node.func.value.id, node.func.attr)
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name)}
    assert calls & clock == set()


def test_errors_depends_on_nothing_of_ours():
    assert not any(n.startswith("pressctl") for n in IMPORTS["pressctl.errors"])


def test_launcher_answers_version_and_help_without_typer():
    # The fast paths import only these: typer is loaded for the other commands.
    names = IMPORTS["pressctl.cli.launcher"]
    assert "typer" not in names and "pressctl.cli.app" in names
    assert "typer" not in IMPORTS["pressctl.cli.registry"]
