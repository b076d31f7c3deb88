"""The house rules of STYLE.md and issue 8, checked on the source with the stdlib's ast.

Packages are layered: each may import only the packages below it (LAYERS), so that
there is no cycle between them, whatever a module imports inside a function. Libraries
with one job have one importer: only the store speaks SQL, only the SMTP transport
speaks SMTP, only templating renders Jinja2, and nothing imports the CLI.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"

# package (or top-level module) -> what it may import, besides itself. Read bottom-up:
# the pure domains (contacts, outbox, times) know nothing of storage, the store knows the
# contact it builds and the states it stores, the use cases (book, releases, delivery)
# sit above the store, and only the CLI sees everything.
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "resources": set(),
    "secrets": {"errors"},  # shared ground: passwords from a variable or a command
    "times": {"errors"},
    "contacts": {"errors"},
    "outbox": {"errors", "times"},
    "inbox": {"errors", "contacts"},
    "config": {"errors", "secrets", "contacts", "outbox"},
    "store": {"errors", "secrets", "contacts", "outbox"},
    "book": {"errors", "contacts", "inbox", "config", "store"},
    "releases": {"errors", "times", "contacts", "config", "store", "book", "resources"},
    "delivery": {"errors", "secrets", "times", "contacts", "outbox", "inbox", "config",
                 "store", "book", "releases"},
    "home": {"errors", "secrets", "config", "store", "delivery"},
    "demo_returns": {"store"},  # the demo's returned mail (no package of its own)
    "demo": {"errors", "resources", "contacts", "outbox", "config", "store", "book",
             "releases", "delivery", "home", "demo_returns"},
    "cli": {"errors", "resources", "secrets", "times", "contacts", "outbox", "inbox", "config",
            "store", "book", "releases", "delivery", "home", "demo", "demo_returns",
            "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
}

# Modules of the pure domain: no I/O, no environment, no clock. `now` is a parameter.
PURE_PACKAGES = ("pressctl.outbox", "pressctl.contacts.extraction")
PURE_MODULES = {"pressctl.times", "pressctl.errors", "pressctl.contacts.model",
                "pressctl.contacts.phones", "pressctl.contacts.phone_display",
                "pressctl.contacts.phone_types", "pressctl.contacts.phone_forms",
                "pressctl.contacts.contact_rows",
                "pressctl.contacts.emails",
                "pressctl.contacts.regions", "pressctl.contacts.validation",
                "pressctl.contacts.canonical",
                "pressctl.contacts.french_forms", "pressctl.contacts.languages",
                "pressctl.contacts.name_keys",
                "pressctl.releases.typography", "pressctl.releases.salutations",
                "pressctl.releases.markdown", "pressctl.releases.headers",
                "pressctl.config.salutations",
                "pressctl.releases.documents", "pressctl.releases.embargo",
                "pressctl.releases.audience", "pressctl.releases.release_file",
                # the inbox but its mailbox reader (inbox.mailboxes reads files)
                "pressctl.inbox", "pressctl.inbox.headers", "pressctl.inbox.verp",
                "pressctl.inbox.dsn", "pressctl.inbox.bounce_text", "pressctl.inbox.itip",
                "pressctl.inbox.automatic", "pressctl.inbox.unsubscribe",
                "pressctl.inbox.classify"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(tree: ast.AST) -> set[str]:
    """Every module an import statement names, anywhere in the file (a function-level
    import counts: it is a dependency all the same)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pressctl.x import y`: y may be a module, which is then what is imported
            modules = {f"{node.module}.{alias.name}" for alias in node.names
                       if node.module.startswith("pressctl")
                       and _is_module(f"{node.module}.{alias.name}")}
            names.update(modules)
            if len(modules) < len(node.names):
                names.add(node.module)
    return names


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


TREES = {_module_name(p): ast.parse(p.read_text(encoding="utf-8"))
         for p in PACKAGE.rglob("*.py")}
IMPORTS = {module: _imported_names(tree) for module, tree in TREES.items()}


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _packages_imported_by(package: str) -> dict[str, set[str]]:
    """package imported -> the modules of ``package`` that import it."""
    found: dict[str, set[str]] = {}
    for module, names in IMPORTS.items():
        if _package_of(module) != package:
            continue
        for name in names:
            if name == "pressctl" or name.startswith("pressctl."):
                target = _package_of(name)
                if target != package:
                    found.setdefault(target, set()).add(f"{module} -> {name}")
    return found


def _importers_of(top: str) -> set[str]:
    return {m for m, names in IMPORTS.items()
            if any(n == top or n.startswith(top + ".") for n in names)}


def test_the_scan_sees_the_package():
    assert {"pressctl.store", "pressctl.cli.app", "pressctl.contacts.phones",
            "pressctl.delivery.transport.smtp"} <= set(IMPORTS)


def test_every_package_has_its_place_in_the_layers():
    packages = {_package_of(m) for m in IMPORTS}
    assert packages == set(LAYERS), "add the new package to LAYERS, with what it may import"


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_packages_import_only_the_layers_below_them(package):
    wrong = {target: sorted(why) for target, why in _packages_imported_by(package).items()
             if target not in LAYERS[package]}
    assert wrong == {}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_layer_table_has_no_cycle():
    assert _cycle(LAYERS) is None


def test_no_import_cycle_between_packages():
    actual = {package: set(_packages_imported_by(package)) for package in LAYERS}
    assert _cycle(actual) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"contacts": {"store"}, "store": {"contacts"}}) == [
        "contacts", "store", "contacts"]


def test_contacts_and_releases_never_import_delivery():
    for package in ("contacts", "releases", "book", "store", "outbox"):
        assert "delivery" not in _packages_imported_by(package), package


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("sqlite3", {m for m in IMPORTS if m.startswith("pressctl.store")}),
        ("psycopg", {"pressctl.store.postgres"}),  # only for a postgresql:// book
        ("typer", {m for m in IMPORTS if m.startswith("pressctl.cli")}),
        ("rich", {m for m in IMPORTS if m.startswith("pressctl.cli")}),
        ("click", set()),
        ("phonenumbers", {"pressctl.contacts.phones", "pressctl.contacts.regions",
                          "pressctl.contacts.phone_display",  # its metadata, without a parse
                          "pressctl.contacts.phone_types",  # its type patterns, precompiled
                          "pressctl.contacts.extraction.anchors"}),  # its PhoneNumberMatcher
        ("email_validator", {"pressctl.contacts.emails"}),
        ("platformdirs", {"pressctl.config.locations"}),
        ("jinja2", {"pressctl.releases.templating"}),
        ("markupsafe", {"pressctl.releases.markdown"}),  # the body's HTML, escaped there
        ("markdown_it", {"pressctl.releases.markdown", "pressctl.contacts.extraction.html"}),
        ("icalendar", {"pressctl.releases.calendar", "pressctl.inbox.itip"}),
        ("smtplib", {"pressctl.delivery.transport.smtp"}),
        ("ssl", {"pressctl.delivery.transport.smtp",
                 "pressctl.inbox.imap"}),  # imaplib's default context checks no certificate
        ("aiosmtpd", set()),  # the tests' server, never the product's
        ("fcntl", set()),  # the outbox lock is a lease in the database, never a home's file
        # the core hears of a stop, never of signals; but the sender processes a run
        # forks (pressctl.delivery.processes) get the parent's stop as one
        ("signal", {"pressctl.cli.signals", "pressctl.delivery.processes"}),
        ("mmap", {"pressctl.delivery.inflight"}),
        ("dkim", {"pressctl.delivery.dkim"}),  # DKIM signing and its check
        ("cryptography", {"pressctl.delivery.dkim"}),
        ("css_inline", {"pressctl.releases.inlining"}),  # the HTML part's CSS, inlined
    ],
)
def test_only_allowed_modules_import(library, allowed):
    assert _importers_of(library) <= allowed


# A statement of SQL, as the store writes them: uppercase keywords in their SQL places.
_SQL = re.compile(r"\b(SELECT\b[\s\S]+?\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b"
                  r"|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX)\b|PRAGMA\s+\w+"
                  r"|BEGIN\s+IMMEDIATE\b)")


def _sql_in(tree: ast.AST) -> list[str]:
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, in order
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if _SQL.search(text):
            texts.append(text[:60])
    return texts


def test_only_the_store_speaks_sql():
    speakers = {m: _sql_in(tree) for m, tree in TREES.items()
                if not m.startswith("pressctl.store")}
    assert {m: found for m, found in speakers.items() if found} == {}


def test_the_sql_finder_sees_the_stores_sql():
    for module in ("pressctl.store.contacts", "pressctl.store.mailouts",
                   "pressctl.store.database", "pressctl.store.migrations"):
        assert _sql_in(TREES[module]), module


def test_nothing_outside_the_cli_imports_the_cli():
    outside = {m for m in _importers_of("pressctl.cli") if not m.startswith("pressctl.cli")}
    assert outside <= {"pressctl.__main__"}  # the entry point is the edge's own


def test_command_modules_never_import_the_app_or_each_other():
    # State and the shared printers live in cli.context and cli.views; the app imports
    # the command modules, so a command module importing the app would be a cycle.
    # One exception: a group split by command family. Its module (the registry's, e.g.
    # contacts_cmd) imports its families (contacts_*_cmd) to register their commands in
    # its help order; a family imports no command module, so there is no cycle.
    from pressctl.cli.registry import GROUPS

    groups = {f"pressctl.cli.{module}" for _, module, _ in GROUPS}
    for module, names in IMPORTS.items():
        if module.startswith("pressctl.cli.") and module != "pressctl.cli.launcher":
            assert "pressctl.cli.app" not in names, module
        if module.endswith("_cmd"):
            family = module.removesuffix("_cmd") + "_"
            own = {n for n in names if module in groups and n.startswith(family)
                   and n not in groups}
            assert not {n for n in names if n.endswith("_cmd")} - own, module


PURE = sorted(m for m in IMPORTS if m in PURE_MODULES or m.startswith(PURE_PACKAGES))


def test_the_pure_list_names_real_modules():
    assert set(PURE_MODULES) <= set(IMPORTS)
    assert {"pressctl.outbox.policy", "pressctl.contacts.extraction.text"} <= set(PURE)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_do_no_io(module):
    forbidden = {"os", "sys", "sqlite3", "subprocess", "socket", "smtplib", "pathlib",
                 "shutil", "tempfile", "time", "pressctl.store", "pressctl.config",
                 "pressctl.book", "pressctl.delivery", "pressctl.cli"}
    assert {n for n in IMPORTS[module]
            if n in forbidden or n.startswith(("pressctl.store.", "pressctl.book.",
                                               "pressctl.delivery.", "pressctl.cli."))} == set()


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_never_read_the_clock(module):
    # datetime is imported for its types; `now` is a parameter, read once at the edge.
    clock = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("date", "today"), ("time", "time"), ("time", "monotonic")}
    calls = {(node.func.value.id, node.func.attr)
             for node in ast.walk(TREES[module])
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name)}
    assert calls & clock == set()


@pytest.mark.parametrize("package", sorted(p.parent for p in PACKAGE.rglob("__init__.py")))
def test_every_package_says_what_lives_there(package):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
    assert docstring and len(docstring.split()) >= 8, f"{package}: say what lives here"


def test_errors_depends_on_nothing_of_ours():
    assert not any(n.startswith("pressctl") for n in IMPORTS["pressctl.errors"])


def test_launcher_answers_version_and_help_without_typer():
    # The fast paths import only these: typer is loaded for the other commands.
    names = IMPORTS["pressctl.cli.launcher"]
    assert "typer" not in names and "pressctl.cli.app" in names
    assert "typer" not in IMPORTS["pressctl.cli.registry"]


def _raw_state_comparisons(tree: ast.AST) -> list[int]:
    """Lines where a .state, .status or .phase is compared with a bare string (or a
    tuple/set of them): states are StrEnums (pressctl.outbox.states, releases.embargo)."""
    def is_state(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr in {"state", "status", "phase"}

    def is_text(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        return isinstance(node, ast.Tuple | ast.List | ast.Set) and any(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)

    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and any(is_state(a) and is_text(b) or is_text(a) and is_state(b)
                    for a, b in zip([node.left, *node.comparators[:-1]], node.comparators,
                                    strict=True))]


def test_states_are_compared_as_enums_never_as_strings():
    found = {m: lines for m, tree in TREES.items() if (lines := _raw_state_comparisons(tree))}
    assert found == {}


def test_the_state_finder_sees_a_string_comparison():
    tree = ast.parse('if row.state == "sent" or mailout.phase in ("public", "single"): pass')
    assert _raw_state_comparisons(tree) == [1, 1]  # both comparisons of line 1


def test_tests_mirror_the_packages():
    tests = PACKAGE.parent / "tests"
    folders = {p.name for p in tests.iterdir() if p.is_dir() and p.name not in {"data"}
               and not p.name.startswith((".", "__"))}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders <= packages, "a tests/ folder is named after the package it tests"
    assert {"contacts", "book", "releases", "outbox", "delivery", "store", "cli"} <= folders
