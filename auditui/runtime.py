"""Settings of the long-running processes (gunicorn workers, Celery workers) that Django has no
place for."""

from __future__ import annotations

import gc

# CPython's cycle collector runs a young collection every GEN0_THRESHOLD allocations, and a full
# one, walking every tracked object, after ten of the next generation. Rebuilding a policy's
# versions or reading a page of events allocates hundreds of thousands of short-lived dicts, so at
# the default (700) a history page paid for one or two full collections, which showed in its p95
# (bench/changelog.py (b); the figures are in bench/RESULTS.md); with this threshold and the
# startup objects frozen they are gone. Memory held between collections grows by a few MB at most.
GEN0_THRESHOLD = 10_000


def tune_gc() -> None:
    """Freeze what startup allocated (imported modules, settings, URL patterns: alive for the
    whole process, so never worth walking again) and collect young objects less often."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
