"""Ingest drop rules: discard events matching a query before they are stored, counting each one."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from auditui.access.scope import RESERVED_CLUSTER
from auditui.events.models import DropRule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _CompiledRule:
    pk: int
    name: str
    node: Any


class DropFilter:
    """The enabled rules that apply to one cluster, compiled once per ingest run."""

    def __init__(self, cluster: str) -> None:
        self.cluster = cluster
        self.rules: list[_CompiledRule] = []
        self.counts: Counter[int] = Counter()
        if cluster == RESERVED_CLUSTER:
            return  # auditui's own trail: no rule may silence the record of what people did to auditui
        rows = list(DropRule.objects.filter(Q(cluster="") | Q(cluster=cluster), enabled=True).order_by("name"))
        if rows:
            self._compile(rows)

    def _compile(self, rows: list[DropRule]) -> None:
        # Imported here, once per ingest run, not per event: most installations have no rules.
        from auditui.events.query import QueryError, matches, parse

        self._matches = matches
        for row in rows:
            try:
                self.rules.append(_CompiledRule(row.pk, row.name, parse(row.query)))
            except QueryError as exc:
                # A rule saved before validation existed must not stop ingest; it is logged and skipped.
                log.warning("drop rule %s is invalid and is ignored: %s", row.name, exc)

    def should_drop(self, event: dict, record=None) -> bool:
        """``record``, the already-normalised event, spares the matcher normalising it again."""
        if not self.rules:
            return False
        for rule in self.rules:
            if self._matches(rule.node, event, cluster=self.cluster, record=record):
                self.counts[rule.pk] += 1
                return True
        return False

    def flush_counts(self) -> int:
        """Add the counts gathered so far to the rules (atomic increments); returns the total."""
        total = sum(self.counts.values())
        now = timezone.now()
        for pk, count in self.counts.items():
            DropRule.objects.filter(pk=pk).update(dropped_total=F("dropped_total") + count, last_dropped_at=now)
        self.counts.clear()
        return total
