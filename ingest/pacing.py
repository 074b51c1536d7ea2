"""How the E-utilities client paces itself: backoff, Retry-After, and the request rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def backoff_delay(attempt: int, base: float, cap: float, jitter: float) -> float:
    """Return the wait before retry ``attempt`` (0-based): doubling, capped, jittered.

    ``jitter`` is a number in [0, 1); the wait lies between half and all of the step.
    """
    step = min(cap, base * 2.0**attempt)
    return step * (0.5 + jitter / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header (seconds, or an HTTP date) as seconds to wait."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- the rate limit ----------------------------------------------------------------------


class RateLimiter:
    """Space the starts of requests at least ``1/rate`` seconds apart, across threads."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start; return how long that was."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        # The slot is reserved under the lock; sleeping outside it lets other threads queue.
        if start > now:
            self._sleep(start - now)
        return start - now
