from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "auditui.policies"
    label = "policies"
    verbose_name = "Policy changelog"

    def ready(self) -> None:
        # The events' per-object summary follows the changelog's kinds (events imports no app).
        from auditui.events.object_summary import follow
        from auditui.policies.kinds import followed_keys

        follow(followed_keys)
