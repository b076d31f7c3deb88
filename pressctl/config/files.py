"""The files pressctl writes for itself: atomically, and private (0600)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pressctl.config.defaults import DEFAULT_CONFIG


def write_private_file(path: Path, content: str | bytes | Iterable[str]) -> None:
    """Write atomically (temp file + rename) with mode 0600: the files hold personal data.
    Text is written as UTF-8, as given (no newline translation). Text given as chunks (an
    export's rows) is written as they come, never all in memory; ``path`` is replaced only
    once the last one is written, so a failure in between leaves it as it was."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if isinstance(content, (str, bytes)):
            with os.fdopen(fd, "wb") as handle:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as text:
                text.writelines(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_config(path: Path) -> bool:
    """Create the default config file if missing; True when it was created."""
    if path.exists():
        return False
    write_private_file(path, DEFAULT_CONFIG)
    return True
