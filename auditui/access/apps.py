from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "auditui.access"
    label = "access"
    verbose_name = "Access: scopes and tokens"
    default_auto_field = "django.db.models.BigAutoField"
