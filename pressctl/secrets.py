"""Passwords from where the user keeps them: an environment variable or a command.

Shared ground, like pressctl.errors (it imports nothing else of ours): the SMTP
transport and the database location both take their password through
:func:`secret_from`. It never prompts (a prompt would hang cron), and a command that fails
is reported by its exit status only: its output, stdout or stderr, may hold the secret
or a part of it, so it is never shown.

(The standard library's :mod:`secrets` is unrelated; inside pressctl, imports are
absolute, so both names stay distinct.)
"""

from __future__ import annotations

from collections.abc import Mapping

from pressctl.errors import ConfigError


def secret_from(env_name: str | None, command: str | None, env: Mapping[str, str],
                timeout: float, what: str, *,
                command_label: str = "password_command") -> str | None:
    """The secret from ``env[env_name]`` or, when that variable is unset or empty, from
    the first stdout line of ``command``; None when neither source is configured.

    ``what`` names the secret in messages ("the SMTP password"), ``command_label`` the
    setting holding the command. The command runs with ``env`` as its whole environment,
    stdin closed, in a session of its own, for at most ``timeout`` seconds."""
    if env_name and env.get(env_name):
        return env[env_name]
    if env_name and not command:
        raise ConfigError(f"{what} variable {env_name} is not set",
                          hint=f"set {env_name} in pressctl's environment (it never prompts)")
    if command:
        return _secret_from_command(command, env, timeout, command_label)
    return None


def _secret_from_command(command: str, env: Mapping[str, str], timeout: float,
                         label: str) -> str:
    import shlex
    import subprocess

    try:
        argv = shlex.split(command)
        problem = "" if argv else "it is empty"
    except ValueError as err:
        argv, problem = [], str(err)
    done = None
    if argv:
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                                  env=dict(env), timeout=timeout, start_new_session=True)
        except FileNotFoundError:
            problem = f"program {argv[0]!r} not found"
        except subprocess.TimeoutExpired:
            problem = f"no answer within {timeout:g} s"
        except OSError as err:
            problem = f"cannot run {argv[0]!r} ({err.strerror or err})"
    if done is not None and done.returncode:
        # Only the status: stdout and stderr are never shown, since a helper that fails may
        # still have printed the secret (or a part of it) on either.
        code = done.returncode
        problem = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    elif done is not None:
        try:
            secret = done.stdout.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            secret, problem = "", "its output is not UTF-8"
        if secret:
            return secret
        problem = problem or "its first output line is empty"
    raise ConfigError(f'{label} "{command}" failed: {problem}',
                      hint="it must print the password on its first stdout line")
