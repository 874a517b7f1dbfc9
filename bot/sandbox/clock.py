"""The sandbox's clock: the system clock plus an offset that the page moves forward. Only the sandbox builds
one, so `flagpost run` with real tokens can never jump in time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock

MAX_JUMP = timedelta(days=31)


class OffsetClock:
    def __init__(self, base: Clock | None = None):
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._base.now() + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Forward only: what is due stays due, and nothing already done is undone."""
        if not timedelta(0) < delta <= MAX_JUMP:
            raise ValueError(f"the clock moves forward by up to {MAX_JUMP.days} days at a time")
        with self._lock:
            self._offset += delta
        return self.now()

    def advance_to(self, local: time, tz: ZoneInfo) -> datetime:
        """Forward to the next moment the organisation's wall clock shows `local` (at least a minute on)."""
        now = self.now().astimezone(tz)
        target = datetime.combine(now.date(), local, tzinfo=tz)
        if target <= now + timedelta(minutes=1):
            target = datetime.combine(now.date() + timedelta(days=1), local, tzinfo=tz)
        # subtract in UTC: two times of one zone subtract as wall-clock times, wrong across a DST change
        return self.advance(target.astimezone(UTC) - now.astimezone(UTC))
