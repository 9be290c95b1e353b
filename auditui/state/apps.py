from django.apps import AppConfig


class StateConfig(AppConfig):
    name = "auditui.state"
    label = "state"
    verbose_name = "Cluster state"
