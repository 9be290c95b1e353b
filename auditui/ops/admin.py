"""Users and groups in the console: their scopes edited on their own page (saved through the
relation's manager, so auditui's trail records each change as it does from the scope's side),
and on a user's page the preview of what that user sees."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple, RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.html import format_html

from auditui.access.models import Scope
from auditui.ops.preview import preview_user

User = get_user_model()
SCOPES_HELP = "What they see: each scope grants clusters and namespaces. Without a scope a user sees nothing."


def _scopes_field(site: admin.AdminSite) -> forms.ModelMultipleChoiceField:
    widget = RelatedFieldWidgetWrapper(FilteredSelectMultiple("scopes", is_stacked=False),
                                       # the stubs say ManyToOneRel; Django passes many-to-many ones too
                                       User.audit_scopes.rel, site, can_add_related=True)  # type: ignore[arg-type]
    return forms.ModelMultipleChoiceField(Scope.objects.all(), required=False, widget=widget, help_text=SCOPES_HELP)


class ScopesMixin:
    """Adds a ``scopes`` field to the change form, saved with ``audit_scopes.set()`` (m2m signals)."""

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is None and isinstance(self, UserAdmin):
            # The add form (user name and password): scopes on the page that follows.
            return super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        field = _scopes_field(self.admin_site)  # type: ignore[attr-defined]
        if obj is not None:
            field.initial = list(obj.audit_scopes.values_list("pk", flat=True))
        base = kwargs.pop("form", self.form)  # type: ignore[attr-defined]
        kwargs["form"] = type(f"{base.__name__}WithScopes", (base,), {"scopes": field})
        return super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]

    def save_related(self, request: Any, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if "scopes" in form.cleaned_data:
            form.instance.audit_scopes.set(form.cleaned_data["scopes"])


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ConsoleUserAdmin(ScopesMixin, UserAdmin):
    readonly_fields = (*UserAdmin.readonly_fields, "sees")

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (*fieldsets[:1], ("What this user sees", {"fields": ("scopes", "sees")}), *fieldsets[1:])

    @admin.display(description="Preview")
    def sees(self, obj: Any) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html('<p class="scope-preview" id="scope-preview">{}</p>', preview_user(obj).text())


@admin.register(Group)
class ConsoleGroupAdmin(ScopesMixin, GroupAdmin):
    fields = ("name", "scopes", "permissions")
