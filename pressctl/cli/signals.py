"""SIGINT and SIGTERM turned into a request to stop a delivery run (the core decides
what stopping means: see pressctl.delivery.sending)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from pressctl.delivery.report import StopReason, StopRequest

_NAMES: dict[int, StopReason] = {signal.SIGINT: StopReason.SIGINT,
                                  signal.SIGTERM: StopReason.SIGTERM}


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
