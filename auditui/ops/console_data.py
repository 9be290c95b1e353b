"""What the console's start page shows: the admin's models grouped by task, with counts, and the
things that need an administrator (failing pull sources, drop rules with errors, failed uploads,
status sections not ok). Only what the viewing user may see in the admin is listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from auditui import status
from auditui.access.scope import scope_for
from auditui.events.models import DropRule, IngestJob, PullSource

# (title, what it is for, [(app_label, model_name)…]); apps that do not exist yet list nothing.
TASKS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("People and access", "who may log in and what each one sees",
     (("auth", "user"), ("auth", "group"), ("access", "scope"), ("authtoken", "tokenproxy"))),
    ("Ingest", "how events come in: webhook tokens, pulls from a search engine, drop rules, uploads",
     (("access", "ingesttoken"), ("events", "pullsource"), ("events", "droprule"), ("events", "ingestjob"))),
    ("Alerts", "rules, templates, channels, deliveries", ()),
    ("Reports", "definitions, runs, subscriptions", ()),
)
# Names clearer than the model's own in this company.
NAMES = {("authtoken", "tokenproxy"): "API tokens"}
# Status sections whose trouble the start page already lists item by item.
LISTED_HERE = {"pull sources"}
# Apps whose every model belongs to a task group, whatever models they have when they land.
APP_GROUPS = {"alerts": "Alerts", "reports": "Reports"}


@dataclass
class Entry:
    name: str
    url: str | None
    count: int | None
    add_url: str | None = None


@dataclass
class Group:
    title: str
    purpose: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Attention:
    text: str
    url: str


def _models(app_list: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(app["app_label"], m["object_name"].lower()): m for app in app_list for m in app["models"]}


def _entry(site: Any, request: Any, model: dict[str, Any]) -> Entry:
    # Counted as the admin lists them (an admin's queryset may be narrowed, e.g. uploads by scope).
    queryset = site._registry[model["model"]].get_queryset(request)
    key = (model["model"]._meta.app_label, model["model"]._meta.model_name)
    return Entry(name=NAMES.get(key, str(model["name"])), url=model.get("admin_url"), count=queryset.count(),
                 add_url=model.get("add_url"))


def task_groups(site: Any, request: Any, app_list: list[dict[str, Any]]) -> list[Group]:
    models = _models(app_list)
    groups = {title: Group(title, purpose) for title, purpose, _ in TASKS}
    for title, _, keys in TASKS:
        groups[title].entries += [_entry(site, request, models[key]) for key in keys if key in models]
    for (app_label, _), model in models.items():
        if app_label in APP_GROUPS:
            groups[APP_GROUPS[app_label]].entries.append(_entry(site, request, model))
    return list(groups.values())


def attention(user: Any) -> list[Attention]:
    """What needs an administrator now, each linked to where it is fixed."""
    items: list[Attention] = []
    if user.has_perm("events.view_pullsource"):
        for source in PullSource.objects.filter(enabled=True).exclude(last_error="").order_by("name"):
            items.append(Attention(f"Pull source {source.name} is failing: {source.last_error[:200]}",
                                   reverse("admin:events_pullsource_change", args=[source.pk])))
    if user.has_perm("events.view_droprule"):
        for rule in DropRule.objects.filter(error_total__gt=0).order_by("name"):
            text = f"Drop rule {rule.name} failed on {rule.error_total} events: {rule.last_error[:200]}"
            items.append(Attention(text, reverse("admin:events_droprule_change", args=[rule.pk])))
    if user.has_perm("events.view_ingestjob"):
        jobs = IngestJob.objects.for_scope(scope_for(user))  # as the admin lists them
        failed = jobs.filter(status=IngestJob.Status.FAILED).count()
        if failed:
            url = reverse("admin:events_ingestjob_changelist") + "?status__exact=failed"
            items.append(Attention(f"{failed} upload(s) failed", url))
    if user.is_staff:
        for name, section in status.collect().items():
            if not section.ok and name not in LISTED_HERE:
                items.append(Attention(f"{name.capitalize()}: {section.summary}", reverse("status")))
    return items
