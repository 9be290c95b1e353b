"""The snapshots in the admin: listed for staff, made only by beat and the commands."""

from __future__ import annotations

from datetime import UTC, datetime

from auditui.state.models import StateSnapshot
from tests.conftest import PASSWORD


def test_it_lists_snapshots_without_letting_anyone_add_one(client, admin):
    StateSnapshot.objects.create(cluster="c1", at=datetime(2026, 11, 20, tzinfo=UTC), state={}, object_count=7)
    client.login(username="admin", password=PASSWORD)
    listing = client.get("/admin/state/statesnapshot/")
    assert listing.status_code == 200 and "c1" in listing.content.decode()
    assert client.get("/admin/state/statesnapshot/add/").status_code == 403
