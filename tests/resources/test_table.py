"""kubectl's AGE column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditui.resources.table import age

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("created, expected", [
    ("2026-12-04T11:59:30Z", "30s"),
    ("2026-12-04T11:55:00Z", "5m0s"),
    ("2026-12-04T10:30:00Z", "1h30m"),
    ("2026-12-04T02:00:00Z", "10h"),
    ("2026-11-24T12:00:00Z", "10d"),
    (None, "<unknown>"),
    ("yesterday", "<unknown>"),
])
def test_it_writes_ages_as_kubectl_does(created, expected):
    assert age(created, NOW) == expected
