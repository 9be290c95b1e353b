from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "auditui.events"
    label = "events"
    verbose_name = "Audit events"
    default_auto_field = "django.db.models.BigAutoField"
