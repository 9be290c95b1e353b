from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """``apply``/``get``/``delete`` for every Calico-style kind auditui knows; the apps that own
    the kinds (alerts, reports) register them in their own ``ready()``."""

    name = "auditui.resources"
    label = "resources"
    verbose_name = "Resources (apply / get / delete)"
