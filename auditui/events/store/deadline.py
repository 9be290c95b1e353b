"""A time limit on the reads of one request, on every backend.

``limit(seconds)`` opens a deadline for everything the current request reads (the web
middleware opens one per page or API call; background tasks and management commands run
without). Each backend enforces it its own way:

* SQLite: a progress handler on the connection, called every few thousand virtual-machine
  instructions, interrupts the statement once the deadline has passed (also while rows are
  fetched, which on SQLite is where most of a scan happens).
* PostgreSQL: ``statement_timeout`` set on the connection to the time left (again when a later
  statement has less left), and reset when the request ends: the server stops the statement
  itself, also when the browser has gone.
* OpenSearch / Elasticsearch: the search body's ``timeout``, the client's request timeout, and
  on OpenSearch ``cancel_after_time_interval``, which cancels the search task on the node
  (``search_engine.py``).

A read over the limit raises ``QueryTimeout``, a ``StoreUnavailable``: pages and the API answer
503 with its message, which says what to do.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DatabaseError, connection, connections, transaction

from auditui.events.store.base import StoreUnavailable

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# SQLite calls the progress handler every this many virtual-machine instructions (~0.1 ms).
SQLITE_PROGRESS_STEPS = 10_000
# PostgreSQL's statement_timeout is set again when a statement has this much less time left.
PG_RESET_SLACK_S = 1.0
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


class QueryTimeout(StoreUnavailable):
    """A read that went over the request's time limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"the search took longer than {seconds:g} s: narrow the time range or the condition")


@dataclass(frozen=True)
class Deadline:
    seconds: float
    expires_at: float  # time.monotonic()

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        if self.expired:
            raise QueryTimeout(self.seconds)


_current: ContextVar[Deadline | None] = ContextVar("auditui_read_deadline", default=None)
_sql_limit: ContextVar[_SqlLimit | None] = ContextVar("auditui_sql_limit", default=None)
# True inside a store read (``within_deadline``): only those statements are limited, not the
# request's other queries (its session, the viewer's saved searches, an error page's own).
_reading: ContextVar[bool] = ContextVar("auditui_store_read", default=False)


def current() -> Deadline | None:
    """The deadline of the reads going on, or None when they are not limited."""
    return _current.get()


@contextlib.contextmanager
def limit(seconds: float | None) -> Iterator[Deadline | None]:
    """Limit the store reads inside to ``seconds`` in all (None or <= 0: no limit)."""
    if not seconds or seconds <= 0:
        yield None
        return
    deadline = Deadline(seconds, time.monotonic() + seconds)
    sql = _SqlLimit(deadline)
    tokens = (_current.set(deadline), _sql_limit.set(sql))
    try:
        with contextlib.ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(sql))
            try:
                yield deadline
            finally:
                sql.release()
    finally:
        _sql_limit.reset(tokens[1])
        _current.reset(tokens[0])


def is_timeout(exc: BaseException) -> bool:
    """Whether a database error is the deadline's doing (interrupted or cancelled)."""
    deadline = current()
    if deadline is None or not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__ or exc
    return deadline.expired or getattr(cause, "sqlstate", None) == _QUERY_CANCELED


def within_deadline(method: F) -> F:
    """Mark a method as a store read: its statements are limited, and a statement the database
    stopped at the deadline raises ``QueryTimeout``."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        deadline = current()
        if deadline is None or _reading.get():  # unlimited, or a read within a read
            return method(*args, **kwargs)
        deadline.check()
        try:
            # The savepoint's own statements are outside the read: its rollback must run even
            # once the deadline has passed.
            with _savepoint_if_in_transaction():
                return _reading_call(method, *args, **kwargs)
        except DatabaseError as exc:
            if is_timeout(exc):
                raise QueryTimeout(deadline.seconds) from exc
            raise

    return wrapper  # type: ignore[return-value]


def _reading_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    token = _reading.set(True)
    try:
        return method(*args, **kwargs)
    finally:
        _reading.reset(token)
        sql = _sql_limit.get()
        if sql is not None and not _reading.get():
            sql.end_read()


def _savepoint_if_in_transaction() -> contextlib.AbstractContextManager:
    """Inside a transaction, a statement PostgreSQL cancels aborts the whole transaction: a
    savepoint keeps the rest of it usable (outside one, each read is its own transaction)."""
    if connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


class _SqlLimit:
    """The execute wrapper of one deadline, on every Django database connection."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self._sqlite: list[Any] = []  # raw connections whose progress handler is ours
        self._pg: dict[int, tuple[Any, float]] = {}  # id(raw) -> (Django connection, limit set)

    def __call__(self, execute, sql, params, many, context):
        if not _reading.get():
            return execute(sql, params, many, context)
        self.deadline.check()
        connection = context["connection"]
        if connection.vendor == "sqlite":
            self._arm_sqlite(connection.connection)
        elif connection.vendor == "postgresql":
            self._arm_postgresql(connection, context["cursor"])
        return execute(sql, params, many, context)

    def _arm_sqlite(self, raw) -> None:
        if not any(raw is armed for armed in self._sqlite):
            expires_at = self.deadline.expires_at
            # A non-zero answer makes SQLite stop the statement ("interrupted"); rows are
            # computed as they are fetched, so the handler stays until the read ends.
            raw.set_progress_handler(lambda: time.monotonic() > expires_at, SQLITE_PROGRESS_STEPS)
            self._sqlite.append(raw)

    def _arm_postgresql(self, connection, cursor) -> None:
        raw = connection.connection
        left = self.deadline.remaining()
        armed = self._pg.get(id(raw))
        if armed is not None and armed[1] - left < PG_RESET_SLACK_S:
            return
        milliseconds = max(1, int(left * 1000))
        # The raw cursor, not Django's: this wrapper would otherwise wrap its own statement.
        cursor.cursor.execute(f"SET statement_timeout = {milliseconds}")
        self._pg[id(raw)] = (connection, left)

    def end_read(self) -> None:
        """A store read is over: SQLite's handler goes (PostgreSQL's setting stays for the next
        read of the request, and is reset when the request ends)."""
        for raw in self._sqlite:
            with contextlib.suppress(Exception):
                raw.set_progress_handler(None, 0)
        self._sqlite.clear()

    def release(self) -> None:
        """Put the connections back as they were: they outlive the request."""
        self.end_read()
        for db, _left in self._pg.values():
            try:
                if db.connection is not None and not db.needs_rollback:
                    with db.connection.cursor() as cursor:
                        cursor.execute("RESET statement_timeout")
            except Exception as exc:  # a broken connection is closed by Django; nothing to undo
                log.debug("could not reset statement_timeout: %s", exc)
        self._pg.clear()


# --- search engines ------------------------------------------------------------------------------

def engine_time_left() -> float | None:
    """Seconds a search-engine request may take (None: no limit); raises once none is left."""
    deadline = current()
    if deadline is None:
        return None
    deadline.check()
    return deadline.remaining()


def with_engine_timeout(body: dict, left: float | None) -> dict:
    """The search body with the engine's own ``timeout``: the shards stop collecting by then."""
    return body if left is None else {**body, "timeout": engine_duration(left)}


def engine_duration(seconds: float) -> str:
    return f"{max(1, int(seconds * 1000))}ms"


def check_engine_response(response: dict) -> dict:
    """A response that timed out holds only part of the matches: never shown as the answer."""
    deadline = current()
    if deadline is not None and response.get("timed_out"):
        raise QueryTimeout(deadline.seconds)
    return response


def timeout_instead(exc: BaseException) -> QueryTimeout | None:
    """The time-limit error a failed engine request stands for, once the deadline has passed
    (the client gave up waiting, or the engine cancelled the search task)."""
    deadline = current()
    if deadline is not None and deadline.expired:
        return QueryTimeout(deadline.seconds)
    return None
