"""Calico's built-in GlobalReportTypes (reference §3.5) and auditui's own ``activity-summary``.

Installed by a data migration, as Calico's operator installs them. Their ``template`` texts are
not Go templates here: auditui renders each type with a Python renderer (``renderers``), so the
text says what the file holds. ``cis-benchmark`` is left out: auditui has no CIS benchmark data.
"""

from __future__ import annotations

from typing import Any

from reports.models import GlobalReportType

POLICY_AUDIT = "policy-audit"
ACTIVITY_SUMMARY = "activity-summary"
INVENTORY = "inventory"
NETWORK_ACCESS = "network-access"
CIS_BENCHMARK = "cis-benchmark"

# Every summary.csv starts with these (reference §3.5).
LEADING_COLUMNS = (
    "startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector", "serviceAccountNames",
    "serviceAccountSelectors",
)

POLICY_RESOURCES = (
    "globalnetworkpolicies", "networkpolicies", "stagedglobalnetworkpolicies", "stagednetworkpolicies",
    "stagedkubernetesnetworkpolicies",
)


def _template(name: str, description: str) -> dict[str, str]:
    return {"name": name, "description": description, "template": f"rendered by auditui: {description}"}


def _ui(title: str) -> dict[str, str]:
    return {"name": "ui-summary", "description": title, "template": f"rendered by auditui: {title}"}


BUILTIN_TYPES: dict[str, dict[str, Any]] = {
    INVENTORY: {
        "includeEndpointData": True,
        "uiSummaryTemplate": _ui("Inscope vs Protected"),
        "downloadTemplates": [
            _template("summary.csv", "inventory summary"),
            _template("endpoints.csv", "endpoints in scope with their protection and policies"),
            _template("namespaces.csv", "namespaces in scope with their protection"),
            _template("services.csv", "services in scope with their protection"),
        ],
    },
    NETWORK_ACCESS: {
        "includeEndpointData": True,
        "includeEndpointFlowLogData": True,
        "uiSummaryTemplate": _ui("Inscope vs Protected"),
        "downloadTemplates": [
            _template("summary.csv", "network access summary"),
            _template("endpoints.csv", "endpoints in scope with their exposure"),
        ],
    },
    POLICY_AUDIT: {
        "auditEventsSelection": {"resources": [{"resource": r} for r in POLICY_RESOURCES]},
        "uiSummaryTemplate": _ui("Network Policy Configuration Changes"),
        "downloadTemplates": [
            _template("summary.csv", "created, modified and deleted policies"),
            _template("events.json", "the interval's policy audit events, time-ordered, as JSON"),
            _template("events.yaml", "the interval's policy audit events, time-ordered, as YAML"),
        ],
    },
    ACTIVITY_SUMMARY: {
        "uiSummaryTemplate": _ui("Cluster activity"),
        "downloadTemplates": [
            _template("summary.csv", "the interval's activity in numbers"),
            _template("summary.html", "the interval's activity in numbers and short tables"),
        ],
    },
}

# Types auditui can define but not generate (none since the cluster state came: issue 17).
NOT_GENERATED_YET: dict[str, str] = {}


def install(**_kwargs: Any) -> None:
    """Install (or bring up to date) the built-in types. The data migration installs them; this
    also runs after every ``migrate`` and ``flush`` (``post_migrate``), so that an upgrade updates
    their specs and a flushed database (tests that truncate every table) gets them back."""
    for name, spec in BUILTIN_TYPES.items():
        GlobalReportType.objects.update_or_create(name=name, defaults={"spec": spec, "builtin": True})
