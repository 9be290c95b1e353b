"""Database triggers that keep HourlyEventCount exact: one row per (hour, cluster, namespace, verb).

Triggers, not application code, because only the database knows which rows of an
``INSERT … ON CONFLICT DO NOTHING`` batch were really inserted, and deletes by purge or by hand
must be counted too.
"""

from __future__ import annotations

EVENTS = "events_auditevent"
COUNTS = "events_hourlyeventcount"

SQLITE_HOUR = "(CAST(strftime('%s', {row}.time) AS INTEGER) / 3600 * 3600)"

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS events_hourly_count_insert AFTER INSERT ON {EVENTS} BEGIN
  INSERT INTO {COUNTS} (hour, cluster, namespace, verb, count)
  VALUES ({SQLITE_HOUR.format(row="NEW")}, NEW.cluster, NEW.namespace, NEW.verb, 1)
  ON CONFLICT (hour, cluster, namespace, verb) DO UPDATE SET count = count + 1;
END""",
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
    # Inserts are counted once per statement, from the rows it really inserted (its transition
    # table: ON CONFLICT DO NOTHING leaves the duplicates out): one grouped upsert per ingest
    # batch instead of one per event, which was a fifth of the server's time per event (issue 18,
    # bench/RESULTS.md). Keys in order, so that concurrent batches lock count rows in one order.
    f"""CREATE OR REPLACE FUNCTION events_hourly_count_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO {COUNTS} (hour, cluster, namespace, verb, count)
  SELECT {POSTGRES_HOUR.format(row="inserted")}, cluster, namespace, verb, COUNT(*) FROM inserted
  GROUP BY 1, cluster, namespace, verb ORDER BY 1, cluster, namespace, verb
  ON CONFLICT (hour, cluster, namespace, verb) DO UPDATE SET count = {COUNTS}.count + EXCLUDED.count;
  RETURN NULL;
END
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS events_hourly_count_insert ON {EVENTS}",
    f"""CREATE TRIGGER events_hourly_count_insert AFTER INSERT ON {EVENTS}
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION events_hourly_count_inserted()""",
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
