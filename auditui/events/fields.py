"""The indexed fields of an event, each declared once.

A field has a query-language key (and aliases), one name used by the store (the SQL column,
the ``AuditRecord`` attribute and the search-engine field alike), a kind, and the places it is
offered. Every other list (the query language's columns, what the stores may group, filter and
aggregate on, the engine mapping, the sidebar, the expanded row, the API's event shape)
derives from ``FIELDS``. A new indexed field is one line here, plus its model column
(migration), its ``AuditRecord`` attribute and, for a search engine, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["text", "list", "int", "time"]


@dataclass(frozen=True)
class Field:
    key: str  # the query language's name (``objectRef.namespace``)
    column: str  # the store's name: SQL column, AuditRecord attribute, engine field
    kind: FieldKind  # decides how values compare and what EMPTY means
    aliases: tuple[str, ...] = ()  # other query keys for the same field
    groupable: bool = False  # aggregate and group_by may use it
    sidebar: int = 0  # position among the events page's sidebar fields (0: not offered)
    expanded: bool = True  # shown when an event row is expanded
    api: str | None = None  # its name in the API's and JSON export's event; None: not shown
    later: bool = False  # added after the first release: older engine documents lack it

    @property
    def numeric(self) -> bool:
        return self.kind == "int"


FIELDS: tuple[Field, ...] = (
    # In the order the API shows an event's fields (and an expanded row lists them).
    Field("cluster", "cluster", "text", groupable=True, sidebar=15, api="cluster"),
    Field("requestReceivedTimestamp", "time", "time", aliases=("timestamp", "time"), expanded=False, api="time"),
    Field("auditID", "audit_id", "text", api="audit_id"),
    Field("stage", "stage", "text", groupable=True, sidebar=11, api="stage"),
    Field("stageTimestamp", "stage_time", "time", expanded=False),
    Field("level", "level", "text", groupable=True, sidebar=12, api="level"),
    Field("verb", "verb", "text", groupable=True, sidebar=1, api="verb"),
    Field("user.username", "username", "text", groupable=True, sidebar=2, api="username"),
    Field("user.groups", "user_groups", "list", sidebar=8, api="groups"),
    # Compared with a string, the impersonated user is its name (Calico's shorthand).
    Field("impersonatedUser.username", "impersonated_user", "text", aliases=("impersonatedUser",),
          groupable=True, sidebar=14, api="impersonated_user"),
    Field("sourceIPs", "source_ips", "list", sidebar=9, api="source_ips"),
    Field("userAgent", "user_agent", "text", groupable=True, sidebar=10, api="user_agent"),
    Field("objectRef.resource", "resource", "text", groupable=True, sidebar=4, api="resource"),
    Field("objectRef.subresource", "subresource", "text", groupable=True, api="subresource"),
    Field("objectRef.apiGroup", "api_group", "text", groupable=True, sidebar=6, api="api_group"),
    Field("objectRef.apiVersion", "api_version", "text", groupable=True, api="api_version"),
    Field("objectRef.namespace", "namespace", "text", groupable=True, sidebar=3, api="namespace"),
    # Calico's audit key list has a bare ``name``: the object's name.
    Field("objectRef.name", "name", "text", aliases=("name",), groupable=True, sidebar=7, api="name"),
    Field("objectRef.uid", "uid", "text", expanded=False),
    Field("responseStatus.code", "response_code", "int", groupable=True, sidebar=5, api="response_code"),
    Field("annotations.authorization.k8s.io/decision", "decision", "text", groupable=True, sidebar=13,
          api="decision"),
    Field("requestURI", "request_uri", "text", api="request_uri"),
    # Provenance (how auditui received the event): not a field of the Kubernetes event.
    Field("source", "source", "text", sidebar=16, api="source", later=True),
)

BY_KEY: dict[str, Field] = {key: f for f in FIELDS for key in (f.key, *f.aliases)}

# Store names, by what a store may do with them.
COLUMNS = tuple(f.column for f in FIELDS)
GROUPABLE_FIELDS = tuple(f.column for f in FIELDS if f.groupable)
LIST_FIELDS = tuple(f.column for f in FIELDS if f.kind == "list")
NUMERIC_FIELDS = tuple(f.column for f in FIELDS if f.numeric)
KEYWORD_FIELDS = tuple(f.column for f in FIELDS if f.kind == "text")  # engine keyword fields
LATER_FIELDS = tuple(f.column for f in FIELDS if f.later)
# Query keys, by where the events page offers them.
SIDEBAR_FIELDS = tuple(f.key for f in sorted((f for f in FIELDS if f.sidebar), key=lambda f: f.sidebar))
EXPANDED_FIELDS = tuple(f.key for f in FIELDS if f.expanded)
API_FIELDS = tuple(f for f in FIELDS if f.api)
