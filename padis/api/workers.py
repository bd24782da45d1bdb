"""Background work inside ``padis serve``: webhook fan-out and delivery on a timer."""

from __future__ import annotations

import contextlib
import logging
import threading

import httpx
from sqlalchemy import Engine

from padis.exchange.subscriptions import deliver, fan_out

log = logging.getLogger("padis.exchange")


class DeliveryWorker:
    """Every ``interval_s``: copy new feed events to outboxes, then try due deliveries."""

    def __init__(self, engine: Engine, interval_s: float = 1.0) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="padis-webhooks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.wait(self.interval_s):
                with contextlib.suppress(Exception):
                    fan_out(self.engine)
                    stats = deliver(self.engine, client=client)
                    if stats["delivered"] or stats["failed"]:
                        log.info("webhooks: %(delivered)d delivered, %(failed)d failed", stats)

    def stop(self) -> None:
        """Stop the worker thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
