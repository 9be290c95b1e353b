"""A small progress bar for long command-line work (stderr, only on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class Progress:
    """``label [#####.....] 45% 12.3 MiB/27.0 MiB  8,120 events/s``; redrawn at most 5 times a second."""

    def __init__(self, label: str, total_bytes: int | None, stream: TextIO | None = None,
                 enabled: bool | None = None, unit: str = "events") -> None:
        self.label = label
        self.unit = unit
        self.total = total_bytes or None
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._last_draw = 0.0
        self.drawn = False

    def update(self, done_bytes: int, events: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        self.stream.write("\r" + self.line(done_bytes, events, now - self.started))
        self.stream.flush()
        self.drawn = True

    def line(self, done_bytes: int, events: int, elapsed: float) -> str:
        rate = f"{events / elapsed:,.0f} {self.unit}/s" if elapsed > 0 else ""
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            bar = "#" * int(share * 30) + "." * (30 - int(share * 30))
            size = f"{_human_bytes(done_bytes)}/{_human_bytes(self.total)}"
            return f"{self.label} [{bar}] {share:4.0%} {size}  {events:,} {self.unit}  {rate}"
        if not done_bytes:
            return f"{self.label} {events:,} {self.unit}  {rate}"  # work counted in items alone
        return f"{self.label} {_human_bytes(done_bytes)}  {events:,} {self.unit}  {rate}"

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
