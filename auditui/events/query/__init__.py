"""The query language: Calico GlobalAlert syntax for Kubernetes audit events.

Syntax::

    verb IN {"create", "update", "patch", "delete"} AND "objectRef.resource" = pods
    "user.username" = "system:*" OR NOT responseStatus.code < 400
    requestObject.spec.containers.securityContext.privileged = true
    objectRef.namespace EMPTY AND verb = ${verbs}
    kube-system                                   (free text)

``key cmp value`` with ``= != < <= > >=``; ``AND``/``&&``, ``OR``/``||``, prefix ``NOT``/``!``
and parentheses (NOT binds tighter than AND, AND tighter than OR); ``key IN {…}``,
``key NOTIN {…}``; postfix ``key EMPTY``; ``${var}`` expands to an IN set (``= ${v}`` is
``IN``, ``!= ${v}`` is ``NOTIN``). Keys and values are bare words or quoted strings ('…' or
"…", a backslash escapes the next character). Keywords are case-insensitive and reserved:
quote them to use them as values (``verb = "in"``).
A word or quoted phrase on its own is a free-text term.

Semantics (``matcher.py`` and ``sql.py`` implement exactly these):

* Keys are dotted paths into the event. Through a list, the key matches when ANY element
  matches. A dict key may contain dots (``annotations.authorization.k8s.io/decision``):
  every split of the path into existing keys is tried.
* A ``*`` segment (``requestObject.data.*``) stands for any non-empty text of the path, one
  key or several nested ones, in a path that holds no ``=`` (``paths.py`` says why). Such a key
  takes ``=``, ``!=``, IN, NOTIN and EMPTY; it cannot start a key, follow or reach an indexed
  key; ``**`` is an error.
* Indexed keys (``fields.COLUMNS``) read the values the normaliser stores; a missing text
  value is "" and a missing list is []. ``time``/``timestamp``/``requestReceivedTimestamp``
  are the event time, ``impersonatedUser`` its username, ``name`` is ``objectRef.name``,
  ``cluster`` the cluster the event came from, ``source`` how auditui received it
  (``auditui.events.provenance``; never a key of the event itself).
* Values compare by the type of the event's value: numbers numerically when the query value
  is a number, strings by code point, booleans only with ``true``/``false``; other pairs never
  match. Time keys take RFC3339, ``2006-01-02 15:04:05`` or ``2006-01-02`` (UTC when no
  zone), and a value covers its precision: ``time = 2018-10-25`` is that whole day,
  ``time > 2018-10-25`` starts the next day.
* ``*`` and ``?`` in a value of ``=``, ``!=``, IN or NOTIN are wildcards (whole-value match,
  strings only); a backslash makes them literal: ``verbs = "\\*"`` is the verb "*"
  (``patterns.py``; ``escape()`` turns a literal string into a value for hand-built nodes).
  Ordering operators compare the literal text. Time keys take no wildcards.
* Case: everything is case-sensitive, except that values for ``objectRef.name``,
  ``objectRef.namespace`` and ``name`` are lower-cased (Calico).
* Negation: ``key != v`` is ``NOT key = v`` and NOTIN is ``NOT … IN``; both are true when the
  key is missing (as in Kibana). ``<``, ``<=``, ``>``, ``>=`` are false when it is missing.
* ``key EMPTY``: no value at the key other than null or "" (missing and [] are empty).
* Free text: a substring of username, namespace, name, resource, verb, requestURI or
  userAgent, ignoring the case of ASCII letters (what SQLite's lower() folds); ``*`` and
  ``?`` are wildcards there too.

SQL runs on SQLite and PostgreSQL (``sql_expressions.py``); other backends raise
``NotSupportedError``.
"""

from __future__ import annotations

from .errors import QueryError
from .fields import store_field
from .matcher import matches
from .nodes import And, Compare, Empty, InSet, Node, Not, Or, Text, keys, validate_keys
from .parser import parse
from .patterns import escape
from .printer import to_text
from .sql import compile_q, to_q
from .text import add_clause, clause, quote, quote_literal

__all__ = [
    "And",
    "Compare",
    "Empty",
    "InSet",
    "Node",
    "Not",
    "Or",
    "QueryError",
    "Text",
    "add_clause",
    "clause",
    "compile_q",
    "escape",
    "keys",
    "matches",
    "parse",
    "quote",
    "quote_literal",
    "store_field",
    "to_q",
    "to_text",
    "validate_keys",
]
