from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from auditui.events import rollup_sql


def ensure_rollup_triggers(sender, using: str = "default", **kwargs) -> None:
    """(Re)create the hourly-count triggers after every migrate: SQLite drops a table's triggers
    when a migration rebuilds the table (e.g. to add a column), which would silently stop the
    counts. The statements are idempotent."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    if rollup_sql.EVENTS not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for statement in rollup_sql.statements(connection.vendor, create=True):
            cursor.execute(statement)


class EventsConfig(AppConfig):
    name = "auditui.events"
    label = "events"
    verbose_name = "Audit events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(ensure_rollup_triggers, sender=self)
        # in ready(): trail_receivers imports models, which wait for the app registry
        from auditui.events import trail_receivers

        trail_receivers.connect()
