"""Shell completion for bash, zsh and fish: the scripts, installing them, answering a TAB.

The scripts are typer's: on TAB the shell runs ``pressctl`` with ``_PRESSCTL_COMPLETE``
set (``complete_bash``...) and the words typed so far (bash: COMP_WORDS and COMP_CWORD;
zsh and fish: _TYPER_COMPLETE_ARGS). The launcher sends that here before importing typer:
the first word (a command group or command, the most frequent TAB) is answered from the
registry, as fast as ``--help``; anything further goes to typer's completion over an app
built with only the group named. Both give the same answers (a test compares them).

Installing writes the script where each shell looks for it (bash: a file that ~/.bashrc
sources; zsh: ~/.zfunc/_pressctl, with ~/.zfunc added to fpath in .zshrc; fish: its
completions folder) atomically, and adds a line to an rc file only once.

No typer, click or rich at import time: the launcher imports this module on every TAB.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

PROG = "pressctl"
COMPLETE_VAR = "_PRESSCTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
OPTIONS = ("--install-completion", "--show-completion")


# -- which shell ------------------------------------------------------------------------------


def detect_shell(env: Mapping[str, str]) -> str | None:
    """The shell this runs under (its parent process, as shellingham finds it), else the
    login shell ($SHELL); None when neither is bash, zsh or fish."""
    try:
        import shellingham  # typer's own dependency

        name = shellingham.detect_shell()[0]
    except Exception:  # no /proc, an unknown parent: fall back on $SHELL
        name = Path(env.get("SHELL", "")).name
    return name if name in SHELLS else None


def with_shell(args: list[str], env: Mapping[str, str]) -> list[str]:
    """``--install-completion`` or ``--show-completion`` given last without a shell: the
    detected one is added (typer's options need a value); left as is if none is found."""
    if args and args[-1] in OPTIONS:
        shell = detect_shell(env)
        if shell is not None:
            return [*args, shell]
    return args


# -- the scripts and where they go ------------------------------------------------------------


def script(shell: str) -> str:
    """The completion script of ``shell`` (typer's templates, for pressctl)."""
    from typer.completion import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)


def install(shell: str, env: Mapping[str, str]) -> tuple[Path, Path | None]:
    """Write ``shell``'s script where the shell loads it, and the rc line that loads it
    (once). Returns (script file, rc file changed or None)."""
    home = Path(env.get("HOME") or Path.home())
    if shell == "bash":
        target = home / ".bash_completions" / f"{PROG}.sh"
        rc: Path | None = home / ".bashrc"
        line = f"source '{target}'"
    elif shell == "zsh":
        target = home / ".zfunc" / f"_{PROG}"
        rc = Path(env.get("ZDOTDIR") or home) / ".zshrc"
        line = "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
    else:
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        target, rc, line = config / "fish" / "completions" / f"{PROG}.fish", None, ""
    _write(target, script(shell) + "\n")
    if rc is None:
        return target, None
    text = rc.read_text(encoding="utf-8") if rc.exists() else ""
    if line in text.splitlines():
        return target, None
    separator = "" if not text or text.endswith("\n") else "\n"
    _write(rc, f"{text}{separator}# pressctl shell completion\n{line}\n")
    return target, rc


def _write(path: Path, text: str) -> None:
    """Atomically (temp file + rename), keeping an existing file's mode; a symlinked rc
    file (dotfile managers) is written through its link, not replaced by a plain file."""
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- a TAB ----------------------------------------------------------------------------------


def typed_words(shell: str, env: Mapping[str, str]) -> tuple[list[str], str]:
    """(the words before the one being completed, without the program; that word)."""
    if shell == "bash":
        words = _split(env.get("COMP_WORDS", ""))
        cword = int(env.get("COMP_CWORD") or 0)
        return words[1:cword], words[cword] if cword < len(words) else ""
    typed = env.get("_TYPER_COMPLETE_ARGS", "")
    words = _split(typed)[1:]
    if words and not typed.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an open quote while typing
        return text.split()


def complete(env: Mapping[str, str]) -> int | None:
    """Answer a TAB's first word (see the module's docstring) and return the exit code;
    None when typer is to answer: see :func:`for_typer`."""
    action, _, shell = env.get(COMPLETE_VAR, "").partition("_")
    if action != "complete" or shell not in SHELLS:
        return None
    args, word = typed_words(shell, env)
    answer = first_word(shell, args, word, env)
    if answer is None:
        return None
    text, code = answer
    if text is not None:
        sys.stdout.write(text + "\n")
    return code


def for_typer(env: Mapping[str, str]) -> list[str]:
    """Ready typer to answer the TAB; the words typed, from which the app is built with
    only the group they name (typer itself reads them from the environment)."""
    from typer.completion import completion_init

    completion_init()  # typer's bash/zsh/fish answers, in the form its scripts read
    shell = env.get(COMPLETE_VAR, "").partition("_")[2]
    return typed_words(shell, env)[0] if shell in SHELLS else []


def first_word(shell: str, args: list[str], word: str,
               env: Mapping[str, str]) -> tuple[str | None, int] | None:
    """The commands and groups starting with ``word`` when it is the first word after the
    global options, formatted as typer's completion classes do; None for anything else
    (an option, an option's value, a later word), which typer answers."""
    from pressctl.cli.registry import COMMANDS, GLOBAL_VALUE_OPTIONS, GROUPS, group_in

    if word.startswith("-") or group_in(args) is not None or (
            args and args[-1] in GLOBAL_VALUE_OPTIONS):
        return None
    names = [(name, summary) for name, summary in COMMANDS]
    names += [(name, summary) for name, _, summary in GROUPS]
    found = [(name, short_help(summary)) for name, summary in names if name.startswith(word)]
    if shell == "bash":
        return "\n".join(name for name, _ in found), 0
    if shell == "zsh":
        if not found:
            return "_files", 0
        items = "\n".join(f'"{_zsh(name)}":"{_zsh(summary)}"' for name, summary in found)
        return f"_arguments '*: :(({items}))'", 0
    action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":  # fish asks whether to offer words (0) or files (1)
        return None, 0 if found else 1
    if action == "get-args" and found:
        return "\n".join(f"{name}\t{' '.join(summary.split())}" for name, summary in found), 0
    return "", 0


def short_help(text: str, limit: int = 45) -> str:
    """A summary as click shortens a command's help for completion menus: the first
    sentence if it ends within ``limit`` characters, else the words that fit with "..."."""
    words = text.split("\n\n")[0].split()
    length = 0
    for count, word in enumerate(words, start=1):
        length += len(word) + (count > 1)
        if length > limit:
            break
        if word.endswith("."):
            return " ".join(words[:count])
        if length == limit and count < len(words):
            break
    else:
        return " ".join(words)
    last = count - 1  # the word that overflowed: it goes, and more until "..." fits
    length += 3
    while last > 0:
        length -= len(words[last]) + 1
        if length <= limit:
            break
        last -= 1
    return " ".join(words[:last]) + "..."


def _zsh(text: str) -> str:
    """Escaped for the _arguments spec typer's zsh script evals."""
    return (text.replace('"', '""').replace("'", "''").replace("$", "\\$")
            .replace("`", "\\`").replace(":", r"\\:"))
