"""Shell completion for bash, zsh and fish (issue 11): `--show-completion`, `--install-
completion` (into a home of the test's own), and what a TAB offers, the way each shell's
script asks for it (bash: COMP_WORDS and COMP_CWORD; zsh and fish: _TYPER_COMPLETE_ARGS),
through the installed console script. The first word is answered without typer
(pressctl.cli.completion): its answers must be typer's own, which a test compares."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pressctl.cli import completion

pytestmark = pytest.mark.subprocess


def _run(console_script, *args, env: dict[str, str] | None = None, home: Path | None = None):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("_PRESSCTL", "_TYPER", "COMP_"))}
    if home is not None:
        environment |= {"HOME": str(home)}
        environment.pop("ZDOTDIR", None)
        environment.pop("XDG_CONFIG_HOME", None)
    environment |= env or {}
    return subprocess.run([str(console_script), *args], capture_output=True, text=True,
                          env=environment, timeout=60)


def _tab(console_script, shell: str, typed: str, **extra: str):
    """What ``shell`` gets back for a TAB after ``typed`` ("pressctl con")."""
    if shell == "bash":
        words = typed.split()
        cword = len(words) if typed.endswith(" ") else len(words) - 1
        env = {"COMP_WORDS": typed.strip(), "COMP_CWORD": str(cword)}
    else:
        env = {"_TYPER_COMPLETE_ARGS": typed}
    return _run(console_script, env={"_PRESSCTL_COMPLETE": f"complete_{shell}", **env, **extra})


# -- the scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("shell", "says"), [
    ("bash", "_PRESSCTL_COMPLETE=complete_bash"),
    ("zsh", "_PRESSCTL_COMPLETE=complete_zsh"),
    ("fish", "_PRESSCTL_COMPLETE=complete_fish"),
])
def test_show_completion_prints_the_script_of_a_shell(console_script, shell, says):
    result = _run(console_script, "--show-completion", shell)
    assert result.returncode == 0, result.stderr
    assert says in result.stdout and "pressctl" in result.stdout
    assert result.stdout == completion.script(shell) + "\n"


def test_show_completion_alone_takes_the_shell_it_runs_under():
    # bash stays the parent of the command (a second command follows it)
    result = subprocess.run(["bash", "-c", f"{Path(sys.executable).parent}/pressctl "
                                           "--show-completion; true"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _pressctl_completion pressctl" in result.stdout


def test_the_login_shell_is_taken_when_the_parent_is_not_a_shell(monkeypatch):
    import shellingham

    def fail():
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fail)
    assert completion.detect_shell({"SHELL": "/usr/bin/fish"}) == "fish"
    assert completion.detect_shell({"SHELL": "/bin/tcsh"}) is None
    assert completion.with_shell(["--show-completion"], {"SHELL": "/bin/zsh"}) == [
        "--show-completion", "zsh"]


@pytest.mark.parametrize("option", ["--show-completion", "--install-completion"])
def test_a_shell_pressctl_does_not_complete_is_a_bad_command_line(console_script, tmp_path,
                                                                  option):
    result = _run(console_script, option, "tcsh", home=tmp_path)
    assert result.returncode == 2
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stderr).split())  # typer's panel
    assert "'tcsh' is not a shell pressctl completes: use bash, zsh, fish" in said
    assert list(tmp_path.iterdir()) == []


# -- installing --------------------------------------------------------------------------------


def test_install_completion_for_bash_writes_the_script_and_sources_it_once(console_script,
                                                                           tmp_path):
    rc = tmp_path / ".bashrc"
    rc.write_text("alias ll='ls -l'", encoding="utf-8")  # no final newline
    rc.chmod(0o600)
    for _ in range(2):
        result = _run(console_script, "--install-completion", "bash", home=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
    script = tmp_path / ".bash_completions" / "pressctl.sh"
    assert script.read_text(encoding="utf-8") == completion.script("bash") + "\n"
    assert rc.read_text(encoding="utf-8") == (
        f"alias ll='ls -l'\n# pressctl shell completion\nsource '{script}'\n")
    assert stat.S_IMODE(rc.stat().st_mode) == 0o600
    assert f"bash completion installed in {script}" in result.stderr
    # the installed script, sourced by bash, completes a group name
    bash = subprocess.run(
        ["bash", "-c", f"source '{script}'; COMP_WORDS=(pressctl con); COMP_CWORD=1; "
                       "_pressctl_completion pressctl; echo \"${COMPREPLY[@]}\""],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert bash.stdout.split() == ["contacts"], bash.stderr


def test_install_completion_writes_through_a_symlinked_rc_file(console_script, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_text("export EDITOR=vi\n", encoding="utf-8")
    (tmp_path / ".bashrc").symlink_to(dotfiles / "bashrc")
    result = _run(console_script, "--install-completion", "bash", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".bashrc").is_symlink()
    assert (dotfiles / "bashrc").read_text(encoding="utf-8").startswith("export EDITOR=vi\n"
                                                                        "# pressctl")


def test_install_completion_for_zsh_adds_its_folder_to_fpath(console_script, tmp_path):
    result = _run(console_script, "--install-completion", "zsh", home=tmp_path)
    assert result.returncode == 0, result.stderr
    function = tmp_path / ".zfunc" / "_pressctl"
    assert function.read_text(encoding="utf-8").startswith("#compdef pressctl")
    assert (tmp_path / ".zshrc").read_text(encoding="utf-8").splitlines()[-1] == (
        "fpath+=~/.zfunc; autoload -Uz compinit; compinit")
    elsewhere = tmp_path / "zdot"
    result = _run(console_script, "--install-completion", "zsh", home=tmp_path,
                  env={"ZDOTDIR": str(elsewhere)})
    assert result.returncode == 0, result.stderr
    assert "fpath+=~/.zfunc" in (elsewhere / ".zshrc").read_text(encoding="utf-8")


def test_install_completion_for_fish_writes_its_completions_file(console_script, tmp_path):
    result = _run(console_script, "--install-completion", "fish", home=tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / ".config" / "fish" / "completions" / "pressctl.fish"
    assert written.read_text(encoding="utf-8") == completion.script("fish") + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".config"]  # no rc file touched


# -- a TAB -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shell", "typed", "offered"), [
    ("bash", "pressctl con", "contacts\n"),
    ("bash", "pressctl --home /tmp/x o", "orgs\noutbox\noptouts\n"),
    ("bash", "pressctl contacts li", "list\n"),
    ("zsh", "pressctl con", "_arguments '*: :((\"contacts\":\"Keep press officers and "
                            "journalists\\\\: add,...\"))'\n"),  # click's short help
    ("zsh", "pressctl zz", "_files\n"),
])
def test_a_tab_offers_what_starts_with_the_word(console_script, shell, typed, offered):
    result = _tab(console_script, shell, typed)
    assert result.returncode == 0, result.stderr
    assert result.stdout == offered


def test_a_tab_offers_a_commands_options(console_script):
    result = _tab(console_script, "bash", "pressctl contacts list --co")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"--columns", "--country"}


def test_fish_asks_whether_there_are_words_then_gets_them(console_script):
    found = _tab(console_script, "fish", "pressctl mail", _TYPER_COMPLETE_FISH_ACTION="is-args")
    none = _tab(console_script, "fish", "pressctl zz", _TYPER_COMPLETE_FISH_ACTION="is-args")
    assert (found.returncode, none.returncode) == (0, 1)
    words = _tab(console_script, "fish", "pressctl mail", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert words.stdout == "mailout\tApproved releases frozen for delivery at a...\n"


def test_the_first_word_is_answered_without_importing_typer():
    env = {**os.environ, "_PRESSCTL_COMPLETE": "complete_bash", "COMP_WORDS": "pressctl d",
           "COMP_CWORD": "1"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "from pressctl.cli.launcher import main; main()"],
        capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout == "demo\ndkim\ndb\n"
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "pressctl.cli.completion" in imported
    assert not {name for name in imported if name.split(".")[0] in {"typer", "rich", "click"}}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("typed", ["pressctl ", "pressctl c", "pressctl in", "pressctl zz",
                                   "pressctl --quiet de", "pressctl --as anne l"])
def test_the_fast_first_word_is_what_typer_would_answer(monkeypatch, capsys, shell, typed):
    from pressctl.cli.app import run

    if shell == "bash":
        words = typed.split()
        monkeypatch.setenv("COMP_WORDS", typed.strip())
        monkeypatch.setenv("COMP_CWORD", str(len(words) - (0 if typed.endswith(" ") else 1)))
    else:
        monkeypatch.setenv("_TYPER_COMPLETE_ARGS", typed)
        monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
    monkeypatch.setenv("_PRESSCTL_COMPLETE", f"complete_{shell}")
    assert completion.complete(os.environ) == 0
    fast = capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        run(completion.for_typer(os.environ))
    assert done.value.code == 0
    assert fast == capsys.readouterr().out
