"""Readiness state shared by the HTTP handlers and the signal handling."""

import threading


class Lifecycle:
    """Not ready while starting; ready once start-up is done; not ready again once draining."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False
        self._draining = False

    def mark_started(self) -> None:
        with self._lock:
            self._started = True

    def mark_draining(self) -> bool:
        """Returns True the first time, False if already draining."""
        with self._lock:
            first = not self._draining
            self._draining = True
            return first

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._started and not self._draining

    @property
    def draining(self) -> bool:
        with self._lock:
            return self._draining
