from __future__ import annotations

import secrets

from django.contrib import admin, messages

from auditui.access.forms import AdminLoginForm
from auditui.access.models import TOKEN_PREFIX, IngestToken, Scope, hash_token

# The admin's login counts and throttles failures like the site's (auditui.access.throttle).
admin.site.login_form = AdminLoginForm


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "clusters", "namespaces")
    search_fields = ("name", "clusters", "namespaces")
    filter_horizontal = ("users", "groups")


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "cluster", "description", "created_at", "last_used_at", "revoked_at")
    list_filter = ("cluster", ("revoked_at", admin.EmptyFieldListFilter))
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj: IngestToken, form, change: bool) -> None:
        if not change:
            plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
            obj.prefix, obj.token_hash = plain[:12], hash_token(plain)
            messages.warning(request, f"New ingest token for {obj.cluster} (shown once, copy it now): {plain}")
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset) -> None:
        # One save per token rather than one UPDATE: each revocation is a change the trail records.
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke()
        self.message_user(request, f"{len(tokens)} token(s) revoked.")
