"""SIGINT and SIGTERM turned into a request to stop a delivery run (the core decides
what stopping means: see pressctl.delivery.run)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from pressctl.delivery.run import StopRequest

_NAMES: dict[int, str] = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """While inside, Ctrl-C and SIGTERM ask ``stop`` to stop instead of raising."""

    def handler(signum: int, frame: object) -> None:
        stop.request(_NAMES[signum])

    previous = {sig: signal.signal(sig, handler) for sig in _NAMES}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
