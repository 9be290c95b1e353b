"""Calico's example GlobalReports (reference §3.3), as users apply them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

POLICY_AUDIT = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: monthly-widgets-controller-tigera-policy-audit
spec:
  reportType: policy-audit
  schedule: 0 0 1 * *
  endpoints:
    serviceAccounts:
      names: ["controller"]
    namespaces:
      names: ["widgets"]
"""

INVENTORY = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: weekly-full-inventory
spec:
  reportType: inventory
  schedule: 0 0 * * 0
  jobNodeSelector:
    nodetype: infrastructure
"""

DAILY_AUDIT = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata:
  name: daily-policy-audit
spec:
  reportType: policy-audit
  schedule: 0 0 * * *
"""


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def apply_text(tmp_path):
    def _apply(text: str) -> str:
        path = tmp_path / "report.yaml"
        path.write_text(text)
        return run_command("apply", "-f", str(path))

    return _apply
