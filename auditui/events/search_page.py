"""The events page's state and view model.

``SearchState`` is the whole page state (query, range, clusters, columns, cursor) and the only
way the page writes URLs, so every link is shareable. ``build_search_page`` reads through
``auditui.events.search`` (parsing, ranges, intervals, top values) and the store, exactly as
the API does, so the page and the API give the same counts for the same parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from auditui import links
from auditui.access.scope import ViewerScope
from auditui.events import fields, search
from auditui.events.export import column_value, export_cap
from auditui.events.normalize import AuditRecord
from auditui.events.query import And, Not, QueryError, parse, store_field, to_text
from auditui.events.query.text import add_clause
from auditui.events.store import Bucket, EventQuery, Page, StoreError, get_store
from auditui.events.store.deadline import QueryTimeout
from auditui.events.viewer_time import iso_z, local_input, local_text

PAGE_SIZE = 50
SIDEBAR_LIMIT = 5
SIDEBAR_SAMPLE = 500  # newest matching events the sidebar's top values are counted in
AROUND = timedelta(minutes=5)
RANGE_PRESETS = (
    ("now-15m", "Last 15 minutes"),
    ("now-1h", "Last 1 hour"),
    ("now-24h", "Last 24 hours"),
    ("now-7d", "Last 7 days"),
    ("now-30d", "Last 30 days"),
)
DEFAULT_COLUMNS = ("time", "cluster", "verb", "user", "object", "code")
# Columns that show more than one field; every other column is a query-language path.
COLUMN_LABELS = {"time": "Time", "cluster": "Cluster", "verb": "Verb", "user": "User", "object": "Object",
                 "code": "Code"}
# What a composite column exports as (CSV columns are plain fields).
EXPORT_FIELDS = {
    "user": ("user.username",),
    "object": ("objectRef.namespace", "objectRef.resource", "objectRef.name"),
    "code": ("responseStatus.code",),
}
MAX_COLUMNS = 20


def _split_columns(values: Iterable[str]) -> tuple[str, ...]:
    """``columns=a,b`` and repeated ``columns=a&columns=b`` (the chooser form) both work."""
    seen: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                seen[part.strip()] = None
    return tuple(seen)[:MAX_COLUMNS]


@dataclass(frozen=True)
class SearchState:
    """Everything the page shows is decided by these; they are all in the URL."""

    query: str = ""
    start: str = ""
    end: str = ""
    clusters: tuple[str, ...] = ()
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    cursor: str = ""

    @classmethod
    def from_params(cls, params: Mapping) -> SearchState:
        """From a QueryDict (``request.GET``)."""
        columns = _split_columns(params.getlist("columns"))
        return cls(
            query=params.get("query", "").strip(),
            start=params.get("start", "").strip(),
            end=params.get("end", "").strip(),
            clusters=tuple(dict.fromkeys(c.strip() for c in params.getlist("cluster") if c.strip())),
            columns=columns or DEFAULT_COLUMNS,
            cursor=params.get("cursor", "").strip(),
        )

    def pairs(self) -> list[tuple[str, str]]:
        """URL parameters, without the defaults."""
        pairs = [("query", self.query), ("start", self.start), ("end", self.end)]
        pairs += [("cluster", c) for c in self.clusters]
        pairs.append(("columns", self.columns_param))
        pairs.append(("cursor", self.cursor))
        return [(k, v) for k, v in pairs if v]

    def querystring(self, **changes) -> str:
        """The URL query string of this state with ``changes``; any change restarts paging."""
        state = replace(self, **{"cursor": "", **changes}) if changes else self
        return links.querystring(state.pairs())

    def href(self, **changes) -> str:
        """A link to the events page in this state with ``changes``."""
        return reverse("events:list") + (f"?{query}" if (query := self.querystring(**changes)) else "")

    @property
    def columns_param(self) -> str:
        """``columns=`` as the URL carries it; empty for the default columns."""
        return "" if self.columns == DEFAULT_COLUMNS else ",".join(self.columns)


@dataclass(frozen=True)
class Pill:
    """One top-level ``AND`` clause of the query, removable on its own."""

    text: str
    remove_href: str
    negated: bool


def query_pills(state: SearchState) -> list[Pill]:
    try:
        node = parse(state.query) if state.query else None
    except QueryError:
        return []
    if node is None:
        return []
    parts = list(node.children) if isinstance(node, And) else [node]
    if len(parts) < 2:
        return []
    pills = []
    for index, part in enumerate(parts):
        rest = [p for i, p in enumerate(parts) if i != index]
        remaining = to_text(And(tuple(rest))) if len(rest) > 1 else to_text(rest[0])
        pills.append(Pill(to_text(part), state.href(query=remaining), isinstance(part, Not)))
    return pills


def cluster_pills(state: SearchState) -> list[tuple[str, str]]:
    """(cluster, link without it) for each cluster the search is limited to."""
    return [(name, state.href(clusters=tuple(c for c in state.clusters if c != name))) for name in state.clusters]


# --- the time range ---------------------------------------------------------------------------

_UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def range_label(state: SearchState, time_range: search.TimeRange | None) -> str:
    """"Last 24 hours" for ranges that end now, else the two instants in the viewer's zone."""
    if state.end in ("", "now"):
        start = state.start or search.DEFAULT_RANGE
        preset = dict(RANGE_PRESETS).get(start)
        match = re.fullmatch(r"now-(\d+)([smhdw])", start)
        if preset or match:
            return preset or f"Last {match[1]} {_UNIT_NAMES[match[2]]}{'s' if match[1] != '1' else ''}"
    if time_range is None:
        return "Invalid range"
    return f"{local_text(time_range.start)} → {local_text(time_range.end)}"


@dataclass(frozen=True)
class Preset:
    value: str
    label: str
    href: str
    active: bool


def range_presets(state: SearchState) -> list[Preset]:
    current = (state.start or search.DEFAULT_RANGE) if state.end in ("", "now") else None
    return [Preset(value, label, state.href(start=value, end=""), value == current)
            for value, label in RANGE_PRESETS]


# --- the histogram ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    height: float  # percent of the tallest bar
    count: int
    title: str
    start: str
    end: str
    href: str


@dataclass(frozen=True)
class Tick:
    left: float  # percent from the left edge
    label: str


@dataclass(frozen=True)
class Histogram:
    bars: list[Bar]
    ticks: list[Tick]
    interval: str
    peak: int


def _tick_format(span: timedelta) -> str:
    if span <= timedelta(days=1):
        return "%H:%M"
    if span <= timedelta(days=7):
        return "%a %H:%M"
    return "%b %d"


def build_histogram(state: SearchState, buckets: Sequence[Bucket], interval: timedelta) -> Histogram:
    peak = max((b.count for b in buckets), default=0)
    bars = []
    for bucket in buckets:
        start, end = iso_z(bucket.start), iso_z(bucket.start + interval)
        title = f"{local_text(bucket.start)} – {local_text(bucket.start + interval)}: {bucket.count:,}"
        height = round(100 * bucket.count / peak, 2) if peak else 0
        bars.append(Bar(height, bucket.count, title, start, end, state.href(start=start, end=end)))
    return Histogram(bars, _ticks(buckets, interval), search.interval_label(interval), peak)


def _ticks(buckets: Sequence[Bucket], interval: timedelta, wanted: int = 8) -> list[Tick]:
    if not buckets:
        return []
    fmt = _tick_format(interval * len(buckets))
    step = max(len(buckets) // wanted, 1)
    ticks = [Tick(round(100 * i / len(buckets), 2), f"{timezone.localtime(b.start):{fmt}}")
             for i, b in enumerate(buckets) if i % step == 0]
    return [t for t in ticks if t.left <= 95]  # a label at the right edge would overflow


# --- the field sidebar ------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldValue:
    value: object
    label: str
    count: int
    percent: float
    for_href: str
    out_href: str


@dataclass(frozen=True)
class FieldSummary:
    key: str
    values: list[FieldValue] | None  # None: not computed yet (the page loads it when opened)
    other: int
    add_column_href: str | None
    load_href: str


def filter_links(state: SearchState, key: str, value: object) -> tuple[str, str]:
    """(filter for, filter out) hrefs for one value of one field."""
    return (state.href(query=add_clause(state.query, key, value)),
            state.href(query=add_clause(state.query, key, value, negate=True)))


def value_label(value: object) -> str:
    return "(empty)" if value is None or value == "" else str(value)


def sidebar_sample(q: EventQuery) -> list[AuditRecord]:
    """The newest SIDEBAR_SAMPLE matching events, which the field sidebar summarises."""
    # Only the indexed fields are counted: leave the raw events where they are.
    return get_store().search(q, page_size=SIDEBAR_SAMPLE, columns_only=True).records


def top_values(sample: Sequence[AuditRecord], key: str) -> search.TopValues:
    return search.sample_top_values(list(sample), key, SIDEBAR_LIMIT)


def field_summary(state: SearchState, key: str, top: search.TopValues | None = None) -> FieldSummary:
    values = None
    if top is not None:
        values = [FieldValue(g.keys[0], value_label(g.keys[0]), g.count,
                             round(100 * g.count / top.total, 1) if top.total else 0,
                             *filter_links(state, key, g.keys[0])) for g in top.values]
    add = None if key in state.columns else state.href(columns=(*state.columns, key))
    load = reverse("events:field-values", args=[key]) + "?" + state.querystring()
    return FieldSummary(key, values, top.other if top else 0, add, load)


def sidebar_from_sample(state: SearchState, sample: Sequence[AuditRecord]) -> tuple[list[FieldSummary], int]:
    """Every sidebar field with its top values in ``sample`` (the newest matching events)."""
    return [field_summary(state, key, top_values(sample, key)) for key in search.SIDEBAR_FIELDS], len(sample)


# --- rows and columns -------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnHeader:
    key: str
    label: str
    remove_href: str | None


def column_headers(state: SearchState) -> list[ColumnHeader]:
    removable = len(state.columns) > 1
    return [ColumnHeader(key, COLUMN_LABELS.get(key, key),
                         state.href(columns=tuple(c for c in state.columns if c != key)) if removable else None)
            for key in state.columns]


def column_choices(state: SearchState) -> list[tuple[str, str, bool]]:
    """(key, label, shown) for the column chooser: the shown columns in order, then the others."""
    others = [k for k in (*DEFAULT_COLUMNS, *search.SIDEBAR_FIELDS) if k not in state.columns]
    return ([(k, COLUMN_LABELS.get(k, k), True) for k in state.columns]
            + [(k, COLUMN_LABELS.get(k, k), False) for k in dict.fromkeys(others)])


@dataclass(frozen=True)
class Cell:
    kind: str  # time, verb, code, user, object or text
    text: str


def cell(record: AuditRecord, key: str) -> Cell:
    if key == "time":
        return Cell("time", local_text(record.time))
    if key == "verb":
        return Cell("verb", record.verb)
    if key == "code":
        return Cell("code", "" if record.response_code is None else str(record.response_code))
    if key == "user":
        return Cell("user", record.username)
    if key == "object":
        return Cell("object", record.object_path or record.request_uri)
    return Cell("text", column_value(record, key))


@dataclass(frozen=True)
class Row:
    record: AuditRecord
    cells: list[Cell]
    around_href: str


def around_querystring(record: AuditRecord) -> str:
    """Events of the same cluster within five minutes of this one."""
    return urlencode([("cluster", record.cluster), ("start", iso_z(record.time - AROUND)),
                      ("end", iso_z(record.time + AROUND + timedelta(seconds=1)))])


def build_rows(state: SearchState, records: Sequence[AuditRecord]) -> list[Row]:
    events = reverse("events:list")
    return [Row(r, [cell(r, key) for key in state.columns], f"{events}?{around_querystring(r)}") for r in records]


# --- one expanded event -----------------------------------------------------------------------

# Indexed fields shown when a row is expanded, in query-language names.
EXPANDED_FIELDS = fields.EXPANDED_FIELDS


@dataclass(frozen=True)
class FieldRow:
    key: str
    values: list[tuple[str, str, str]]  # (text, filter-for href, filter-out href)


def expanded_fields(state: SearchState, record: AuditRecord) -> list[FieldRow]:
    rows = []
    for key in EXPANDED_FIELDS:
        value = getattr(record, store_field(key))
        values = value if isinstance(value, list) else [value]
        rows.append(FieldRow(key, [(value_label(v), *filter_links(state, key, v)) for v in values]))
    return rows


# --- exports ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportLinks:
    csv: str
    json: str
    cap: int
    truncated: bool


def export_columns(columns: Sequence[str]) -> list[str]:
    fields: dict[str, None] = {}
    for key in columns:
        for name in EXPORT_FIELDS.get(key, (key,)):
            fields[name] = None
    fields["auditID"] = None
    return list(fields)


def export_links(state: SearchState, time_range: search.TimeRange, total: int) -> ExportLinks:
    """Links to the export API for exactly what the page shows (the resolved range, not "now-…")."""
    base = [("query", state.query), ("start", iso_z(time_range.start)), ("end", iso_z(time_range.end))]
    base += [("cluster", c) for c in state.clusters]
    base = [(k, v) for k, v in base if v]
    url = reverse("api-events-export")
    csv = urlencode([("format", "csv"), *base, ("columns", ",".join(export_columns(state.columns)))])
    json = urlencode([("format", "json"), *base])
    cap = export_cap()
    return ExportLinks(f"{url}?{csv}", f"{url}?{json}", cap, total > cap)


# --- the page ---------------------------------------------------------------------------------

@dataclass
class SearchPage:
    state: SearchState
    range_label: str
    presets: list[Preset]
    pills: list[Pill]
    cluster_pills: list[tuple[str, str]]
    columns: list[ColumnHeader]
    column_choices: list[tuple[str, str, bool]]
    error: search.SearchError | None = None
    time_range: search.TimeRange | None = None
    total: int | None = None
    histogram: Histogram | None = None
    sidebar: list[FieldSummary] = field(default_factory=list)
    sidebar_sample: int = 0
    rows: list[Row] = field(default_factory=list)
    next_cursor: str | None = None
    older_href: str | None = None
    export: ExportLinks | None = None

    @property
    def records(self) -> list[AuditRecord]:
        return [row.record for row in self.rows]

    @property
    def error_line(self) -> tuple[str, str] | None:
        """(the query line the error is on, the blank run that puts a caret under the position)."""
        if self.error is None or self.error.param != "query" or self.error.position is None:
            return None
        text, position = self.state.query, self.error.position
        line_start = text.rfind("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line = text[line_start: None if line_end < 0 else line_end]
        pad = "".join("\t" if ch == "\t" else " " for ch in line[: position - line_start])
        return line, pad

    @property
    def sidebar_limit(self) -> int:
        return SIDEBAR_LIMIT

    @property
    def newest_href(self) -> str:
        return self.state.href(cursor="")

    @property
    def range_start_input(self) -> str:
        return local_input(self.time_range.start if self.time_range else None)

    @property
    def range_end_input(self) -> str:
        return local_input(self.time_range.end if self.time_range else None)


# The error "parameter" of a search over the time limit (the page answers 503).
TIMEOUT_PARAM = "timeout"


def build_event_query(scope: ViewerScope, state: SearchState,
                      now: datetime | None = None) -> tuple[EventQuery, search.TimeRange]:
    """The store query for a page state, exactly as the API builds it (raises SearchError)."""
    time_range = search.parse_range(state.start or None, state.end or None, now)
    return search.build_query(scope, query=state.query, time_range=time_range, clusters=state.clusters), time_range


def build_search_page(scope: ViewerScope, state: SearchState, now: datetime | None = None) -> SearchPage:
    page = SearchPage(state=state, range_label="", presets=range_presets(state), pills=query_pills(state),
                      cluster_pills=cluster_pills(state), columns=column_headers(state),
                      column_choices=column_choices(state))
    try:
        q, page.time_range = build_event_query(scope, state, now)
        _fill_results(page, q)
    except search.SearchError as exc:
        page.error = exc
    except QueryTimeout as exc:
        # Shown in the page's error area (503), with the query still there to narrow.
        page.error = search.SearchError(TIMEOUT_PARAM, str(exc))
    except StoreError as exc:
        # The store refuses a mangled cursor, or a query it cannot run: say which.
        param = "cursor" if state.cursor and "cursor" in str(exc) else "query"
        page.error = search.SearchError(param, str(exc))
    page.range_label = range_label(state, page.time_range)
    return page


def _fill_results(page: SearchPage, q: EventQuery) -> None:
    state = page.state
    interval = search.auto_interval(page.time_range)
    # The page, the histogram and the sidebar's sample in one read: a store may serve them from
    # one pass over the matches (SQL does, for conditions its indexes cannot answer).
    view = get_store().page_view(q, interval=interval, page_size=PAGE_SIZE, cursor=state.cursor or None,
                                 sample_size=SIDEBAR_SAMPLE)
    results: Page = view.page
    # The histogram covers exactly [start, end): its sum is the count, without another pass.
    page.total = view.total
    page.histogram = build_histogram(state, view.buckets, interval)
    page.sidebar, page.sidebar_sample = sidebar_from_sample(state, view.sample)
    page.rows = build_rows(state, results.records)
    page.next_cursor = results.next_cursor
    if results.next_cursor:
        page.older_href = state.href(cursor=results.next_cursor)
    page.export = export_links(state, page.time_range, page.total)

