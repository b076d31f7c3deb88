"""What the delivery commands share: the transport from the config, the outbox lock,
the log file. Nothing here prints."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def transport_factory(settings, home: Path, env):
    """(make a transport, number of connections, description) from the [smtp] settings;
    without a host, a Maildir in the home: the embedded default."""
    from pressctl.transport import FileTransport, SmtpSettings, SmtpTransport

    if settings.smtp:
        options = dict(settings.smtp)
        connections = options.pop("connections", 1)
        smtp = SmtpSettings(**options)
        return (lambda: SmtpTransport(smtp, env)), connections, \
            f"smtp {smtp.host}:{smtp.port} ({smtp.security})"
    folder = home / settings.maildir
    return (lambda: FileTransport(folder, maildir=True)), 1, f"Maildir {folder}"


def home_of(paths) -> Path:
    return paths.home or paths.database.parent


@contextmanager
def outbox_lock(home: Path):
    """Yield True when this process holds the outbox lock, False when another run does."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(home / "outbox.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def append_log(home: Path, lines: list[str]) -> Path:
    path = home / "outbox.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line.replace("\n", " ") + "\n")
    return path
