"""The README's promises: two quick-start commands, CI running the second, a wheel that
carries the templates and sample contacts, and a console script that starts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile

import pytest
from conftest import REPO


def _quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "pressctl demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert commands[1] in ci.splitlines()


def _run(script, *args, env=None, **kwargs):
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120, **kwargs)


@pytest.mark.subprocess
def test_version_and_help_of_the_installed_script(console_script):
    from pressctl import __version__

    version = _run(console_script, "--version")
    assert (version.returncode, version.stdout) == (0, f"pressctl {__version__}\n")
    helped = _run(console_script, "--help")
    assert helped.returncode == 0
    for name in ("contacts", "orgs", "check", "init", "paths", "demo", "Exit codes"):
        assert name in helped.stdout


@pytest.mark.subprocess
def test_fast_help_lists_what_the_app_really_has(console_script):
    from typer.main import get_command

    from pressctl.cli.app import build_app
    from pressctl.cli.registry import GLOBAL_OPTIONS

    command = get_command(build_app([]))
    assert set(command.commands) == {"contacts", "orgs", "check", "release", "invite",
                                     "audiences", "templates", "mailout", "outbox", "smtp",
                                     "optouts", "db", "log", "dkim", "inbox", "init", "paths", "demo"}
    declared = {opt for p in command.params for opt in p.opts}
    for option, _, _ in GLOBAL_OPTIONS:
        for name in option.split(", "):
            assert name in declared | {"--help", "-h"}, name


@pytest.mark.subprocess
def test_python_dash_m_works(home):
    result = subprocess.run([sys.executable, "-m", "pressctl", "paths", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert str(home) in result.stdout


@pytest.mark.subprocess
def test_error_in_a_child_process_has_its_exit_code_and_no_traceback(console_script, home,
                                                                       tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Nom;Courriel\nJean;jean@example\n", encoding="utf-8")
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    result = _run(console_script, "contacts", "import", bad, env=env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert f"{bad}:2:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_demo_runs_in_a_child_process(console_script, tmp_path):
    env = dict(os.environ, PRESSCTL_HOME=str(tmp_path / "untouched"))
    result = _run(console_script, "demo", env=env)
    assert result.returncode == 0, result.stderr
    assert "Raphaël Sart" in result.stdout
    assert not (tmp_path / "untouched").exists()


@pytest.mark.subprocess
def test_wheel_ships_templates_and_sample_contacts(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("pressctl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pressctl/_data/templates/README.md" in names
    assert {"pressctl/_data/contacts/contacts.csv", "pressctl/_data/contacts/contacts.vcf",
            "pressctl/_data/contacts/organizations.json"} <= names


def test_static_checks_run_before_the_tests_with_pinned_versions():
    # Issue 8: ruff and mypy are part of the test command, before pytest, at versions
    # that a new release of a checker cannot change behind our back.
    command = _quick_start_commands()[1]
    ruff, mypy, tests = (command.index(p) for p in ("ruff check .", "mypy pressctl",
                                                    "python -m pytest"))
    assert ruff < mypy < tests
    with (REPO / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)
    test_extra = project["project"]["optional-dependencies"]["test"]
    assert any(re.fullmatch(r"ruff==[\d.]+", d) for d in test_extra)
    assert any(re.fullmatch(r"mypy==[\d.]+", d) for d in test_extra)
    lint = project["tool"]["ruff"]["lint"]
    assert {"E", "F", "W", "B", "UP", "SIM", "I"} <= set(lint["select"])
    assert not lint.get("ignore")  # a rule left out is named per file, with its reason
