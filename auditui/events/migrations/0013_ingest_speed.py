# Issue 18: ingest at the speed of the disk.

from django.db import migrations

from auditui.events import rollup_sql

# What 0003 created for inserts, for going back: the SQL store now counts inserted events itself.
_OLD_SQLITE_INSERT = f"""CREATE TRIGGER IF NOT EXISTS events_hourly_count_insert AFTER INSERT ON {rollup_sql.EVENTS}
BEGIN
  INSERT INTO {rollup_sql.COUNTS} (hour, cluster, namespace, verb, count)
  VALUES ({rollup_sql.SQLITE_HOUR.format(row="NEW")}, NEW.cluster, NEW.namespace, NEW.verb, 1)
  ON CONFLICT (hour, cluster, namespace, verb) DO UPDATE SET count = count + 1;
END"""
_OLD_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION events_hourly_count() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {rollup_sql.COUNTS} (hour, cluster, namespace, verb, count)
    VALUES ({rollup_sql.POSTGRES_HOUR.format(row="NEW")}, NEW.cluster, NEW.namespace, NEW.verb, 1)
    ON CONFLICT (hour, cluster, namespace, verb) DO UPDATE SET count = {rollup_sql.COUNTS}.count + 1;
    RETURN NEW;
  END IF;
  UPDATE {rollup_sql.COUNTS} SET count = count - 1
  WHERE hour = {rollup_sql.POSTGRES_HOUR.format(row="OLD")} AND cluster = OLD.cluster
    AND namespace = OLD.namespace AND verb = OLD.verb;
  RETURN OLD;
END
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS events_hourly_count ON {rollup_sql.EVENTS}",
    f"""CREATE TRIGGER events_hourly_count AFTER INSERT OR DELETE ON {rollup_sql.EVENTS}
  FOR EACH ROW EXECUTE FUNCTION events_hourly_count()""",
]


def counts_without_insert_trigger(apps, schema_editor):
    """Only the delete trigger stays (``rollup_sql``); ``store.hourly`` counts inserts."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in rollup_sql.statements(vendor, create=True):
            cursor.execute(statement)


def insert_trigger_back(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": [_OLD_SQLITE_INSERT], "postgresql": _OLD_POSTGRES}.get(vendor, [])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0012_ingest_pull_rejected'),
    ]

    operations = [
        migrations.RunPython(counts_without_insert_trigger, insert_trigger_back),
    ]
