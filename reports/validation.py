"""A ``projectcalico.org/v3`` GlobalReport or GlobalReportType document, checked field by field
(Calico's validator: reference §3.3, §3.4). Errors are ``ResourceInvalid`` naming the field.

The report type's existence is checked by the caller (it needs the database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditui.resources.registry import ResourceInvalid
from auditui.state.selector import SelectorError, validate
from reports import schedule
from reports.builtin_types import CIS_BENCHMARK

NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
SPEC_KEYS = {"reportType", "schedule", "endpoints", "jobNodeSelector", "suspend", "cis"}
ENDPOINT_KEYS = {"selector", "namespaces", "serviceAccounts"}
MATCH_KEYS = {"names", "selector"}
CIS_KEYS = {"includeUnscoredTests", "numFailedTests", "highThreshold", "medThreshold", "resultsFilters"}
TYPE_SPEC_KEYS = {"uiSummaryTemplate", "downloadTemplates", "includeEndpointData", "includeEndpointFlowLogData",
                  "includeCISBenchmarkData", "auditEventsSelection"}


@dataclass(frozen=True)
class CleanReport:
    name: str
    spec: dict[str, Any]
    labels: dict[str, str]
    annotations: dict[str, str]


def check_name(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise ResourceInvalid("metadata", "required: an object with a name")
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 253 or not NAME.match(name):
        raise ResourceInvalid("metadata.name", "must be lower-case letters, digits, '-' and '.', starting and "
                                               "ending with a letter or digit, at most 253 characters")
    return name, metadata


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ResourceInvalid(field, "must be a map of strings to strings")
    return dict(value)


def _unknown(value: dict[str, Any], allowed: set[str], field: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise ResourceInvalid(f"{field}.{extra[0]}", f"unknown field; {field} takes {', '.join(sorted(allowed))}")


def _selector(value: Any, field: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ResourceInvalid(field, "must be a Calico selector (a string)")

    try:
        validate(value)
    except SelectorError as exc:
        raise ResourceInvalid(field, f"not a valid selector: {exc}") from exc
    return value


def _names_and_labels(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ResourceInvalid(field, "must be an object with names and/or selector")
    _unknown(value, MATCH_KEYS, field)
    names = value.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ResourceInvalid(f"{field}.names", "must be a list of names")
    cleaned: dict[str, Any] = {}
    if names:
        cleaned["names"] = names
    selector = _selector(value.get("selector"), f"{field}.selector")
    if selector:
        cleaned["selector"] = selector
    return cleaned


def _endpoints(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ResourceInvalid("spec.endpoints", "must be an object (selector, namespaces, serviceAccounts)")
    _unknown(value, ENDPOINT_KEYS, "spec.endpoints")
    cleaned: dict[str, Any] = {}
    selector = _selector(value.get("selector"), "spec.endpoints.selector")
    if selector:
        cleaned["selector"] = selector
    for key in ("namespaces", "serviceAccounts"):
        if value.get(key) is not None:
            cleaned[key] = _names_and_labels(value[key], f"spec.endpoints.{key}")
    return cleaned


def _percent(value: Any, field: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ResourceInvalid(field, "must be a whole number from 0 to 100")
    return value


def _cis(value: Any) -> dict[str, Any]:
    """Accepted as Calico has it (auditui generates no CIS reports, but keeps the definition)."""
    if not isinstance(value, dict):
        raise ResourceInvalid("spec.cis", "must be an object")
    _unknown(value, CIS_KEYS, "spec.cis")
    if not isinstance(value.get("includeUnscoredTests", False), bool):
        raise ResourceInvalid("spec.cis.includeUnscoredTests", "must be true or false")
    failed = value.get("numFailedTests")
    if failed is not None and (isinstance(failed, bool) or not isinstance(failed, int) or failed <= 0):
        raise ResourceInvalid("spec.cis.numFailedTests", "must be a whole number above 0")
    high = _percent(value.get("highThreshold"), "spec.cis.highThreshold", 100)
    med = _percent(value.get("medThreshold"), "spec.cis.medThreshold", 50)
    if high <= med:
        raise ResourceInvalid("spec.cis.highThreshold", f"must be above medThreshold ({med})")
    if not isinstance(value.get("resultsFilters", []), list):
        raise ResourceInvalid("spec.cis.resultsFilters", "must be a list")
    return dict(value)


def _schedule(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ResourceInvalid("spec.schedule", "must be a 5-field cron expression, e.g. '0 0 * * *'")
    try:
        schedule.check(value.strip())
    except schedule.ScheduleError as exc:
        raise ResourceInvalid("spec.schedule", str(exc)) from exc
    return value.strip()


def clean_report(document: dict[str, Any]) -> CleanReport:
    """The GlobalReport's spec, checked and with the defaults Calico's API has left as they are."""
    name, metadata = check_name(document)
    spec = document.get("spec")
    if not isinstance(spec, dict):
        raise ResourceInvalid("spec", "required: an object with at least reportType")
    _unknown(spec, SPEC_KEYS, "spec")
    report_type = spec.get("reportType")
    if not isinstance(report_type, str) or not report_type:
        raise ResourceInvalid("spec.reportType", "required: the name of a GlobalReportType, e.g. policy-audit")
    if report_type == CIS_BENCHMARK:
        raise ResourceInvalid("spec.reportType", "cis-benchmark reports are not supported by auditui: it has no "
                                                 "CIS benchmark (kube-bench) results to report on")
    cleaned: dict[str, Any] = {"reportType": report_type}
    if spec.get("schedule"):
        cleaned["schedule"] = _schedule(spec["schedule"])
    if spec.get("endpoints") is not None:
        endpoints = _endpoints(spec["endpoints"])
        if endpoints:
            cleaned["endpoints"] = endpoints
    if spec.get("jobNodeSelector") is not None:
        cleaned["jobNodeSelector"] = _string_map(spec["jobNodeSelector"], "spec.jobNodeSelector")
    if spec.get("suspend") is not None:
        if not isinstance(spec["suspend"], bool):
            raise ResourceInvalid("spec.suspend", "must be true or false")
        cleaned["suspend"] = spec["suspend"]
    if spec.get("cis") is not None:
        cleaned["cis"] = _cis(spec["cis"])
    return CleanReport(name=name, spec=cleaned, labels=_string_map(metadata.get("labels"), "metadata.labels"),
                       annotations=_string_map(metadata.get("annotations"), "metadata.annotations"))


def _template_entry(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        raise ResourceInvalid(f"{field}.name", "required: the template's name")
    return value


def clean_report_type(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A GlobalReportType: ``uiSummaryTemplate`` required, download template names unique."""
    name, _metadata = check_name(document)
    spec = document.get("spec")
    if not isinstance(spec, dict):
        raise ResourceInvalid("spec", "required: an object with uiSummaryTemplate")
    _unknown(spec, TYPE_SPEC_KEYS, "spec")
    _template_entry(spec.get("uiSummaryTemplate"), "spec.uiSummaryTemplate")
    downloads = spec.get("downloadTemplates") or []
    if not isinstance(downloads, list):
        raise ResourceInvalid("spec.downloadTemplates", "must be a list")
    seen: set[str] = set()
    for index, entry in enumerate(downloads):
        template = _template_entry(entry, f"spec.downloadTemplates[{index}]")
        if template["name"] in seen:
            raise ResourceInvalid(f"spec.downloadTemplates[{index}].name", f"{template['name']!r} is used twice")
        seen.add(template["name"])
    for flag in ("includeEndpointData", "includeEndpointFlowLogData", "includeCISBenchmarkData"):
        if not isinstance(spec.get(flag, False), bool):
            raise ResourceInvalid(f"spec.{flag}", "must be true or false")
    return name, dict(spec)
