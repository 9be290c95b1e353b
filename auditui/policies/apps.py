from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "auditui.policies"
    label = "policies"
    verbose_name = "Policy changelog"
