"""The built-in report types come back after a database flush (post_migrate), as after migrate."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reports.models import GlobalReportType


@pytest.mark.django_db(transaction=True)
def test_it_reinstalls_the_builtin_types_after_a_flush():
    call_command("flush", "--noinput", verbosity=0)
    assert set(GlobalReportType.objects.filter(builtin=True).values_list("name", flat=True)) == {
        "activity-summary", "inventory", "network-access", "policy-audit"}
