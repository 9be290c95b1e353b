"""The database trigger that keeps HourlyEventCount exact on delete: one row per (hour, cluster,
namespace, verb).

Inserts are counted by the SQL store itself, from the rows an insert really stored, in the same
transaction (``store.hourly``; until issue 18 a trigger did that too, at a cost of most of
SQLite's ingest time). Deletes stay with a trigger: purge or a delete by hand must be counted
whoever runs it.
"""

from __future__ import annotations

EVENTS = "events_auditevent"
COUNTS = "events_hourlyeventcount"

SQLITE_HOUR = "(CAST(strftime('%s', {row}.time) AS INTEGER) / 3600 * 3600)"

SQLITE_CREATE = [
    # The insert trigger of 0003, gone since 0013 (issue 18); post_migrate runs these on every migrate.
    "DROP TRIGGER IF EXISTS events_hourly_count_insert",
    f"""CREATE TRIGGER IF NOT EXISTS events_hourly_count_delete AFTER DELETE ON {EVENTS} BEGIN
  UPDATE {COUNTS} SET count = count - 1
  WHERE hour = {SQLITE_HOUR.format(row="OLD")} AND cluster = OLD.cluster AND namespace = OLD.namespace
    AND verb = OLD.verb;
END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS events_hourly_count_insert",
    "DROP TRIGGER IF EXISTS events_hourly_count_delete",
]

POSTGRES_HOUR = "(FLOOR(EXTRACT(EPOCH FROM {row}.time) / 3600) * 3600)::bigint"
POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION events_hourly_count() RETURNS trigger AS $$
BEGIN
  UPDATE {COUNTS} SET count = count - 1
  WHERE hour = {POSTGRES_HOUR.format(row="OLD")} AND cluster = OLD.cluster AND namespace = OLD.namespace
    AND verb = OLD.verb;
  RETURN OLD;
END
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS events_hourly_count ON {EVENTS}",
    f"""CREATE TRIGGER events_hourly_count AFTER DELETE ON {EVENTS}
  FOR EACH ROW EXECUTE FUNCTION events_hourly_count()""",
    # The insert trigger of 0003 is gone since 0013 (issue 18): the store counts inserts.
    f"DROP TRIGGER IF EXISTS events_hourly_count_insert ON {EVENTS}",
    "DROP FUNCTION IF EXISTS events_hourly_count_inserted()",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS events_hourly_count_insert ON {EVENTS}",
    "DROP FUNCTION IF EXISTS events_hourly_count_inserted()",
    f"DROP TRIGGER IF EXISTS events_hourly_count ON {EVENTS}",
    "DROP FUNCTION IF EXISTS events_hourly_count()",
]

BACKFILL = {
    "sqlite": f"""INSERT INTO {COUNTS} (hour, cluster, namespace, verb, count)
  SELECT {SQLITE_HOUR.format(row=EVENTS)}, cluster, namespace, verb, COUNT(*) FROM {EVENTS}
  GROUP BY 1, cluster, namespace, verb""",
    "postgresql": f"""INSERT INTO {COUNTS} (hour, cluster, namespace, verb, count)
  SELECT {POSTGRES_HOUR.format(row=EVENTS)}, cluster, namespace, verb, COUNT(*) FROM {EVENTS}
  GROUP BY 1, cluster, namespace, verb""",
}


def statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    raise NotImplementedError(f"no hourly-count triggers for {vendor}")
