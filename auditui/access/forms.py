"""The login forms (the site's and the admin's), with failed-login throttling."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from auditui.access import throttle
from auditui.access.client import client_address
from auditui.access.signals import login_attempted


class ThrottledLoginMixin:
    """Refuses a locked user/address pair before checking the password, and counts failures."""

    request: Any
    data: Any

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        address = client_address(self.request) if self.request is not None else ""
        lock = throttle.lock_for(username, address)
        if lock is not None:
            self._refuse(username, lock)
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            lock = throttle.record_failure(username, address)
            reason = " ".join(exc.messages)
            self._announce(username, None, 401, f"{reason} {lock.message}" if lock else reason)
            if lock is not None:  # this failure was the last one allowed: say so now
                raise forms.ValidationError(lock.message, code="throttled") from exc
            raise
        throttle.record_success(username, address)
        self._announce(username, self.get_user(), 200, "")  # type: ignore[attr-defined]
        return cleaned

    def _refuse(self, username: str, lock: throttle.Lock) -> None:
        self._announce(username, None, 429, lock.message)
        raise forms.ValidationError(lock.message, code="throttled")

    def _announce(self, username: str, user: Any, code: int, message: str) -> None:
        login_attempted.send(sender=type(self), request=self.request, username=username, user=user, code=code,
                             message=message)


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
