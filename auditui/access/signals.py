"""Signals of the access app, for listeners elsewhere (the audit trail in ``auditui.events``,
which ``auditui.access`` does not import)."""

from __future__ import annotations

from django.dispatch import Signal

# Every login through the login forms (the site's and the admin's), however it ended. Arguments:
# ``request``, ``username`` (as typed), ``user`` (None unless it succeeded), ``code`` (200, 401 for
# wrong credentials, 429 when throttled) and ``message``. Sent from the forms, not from Django's
# user_logged_in: a login made by code (the test client, a shell) is not a person logging in.
login_attempted = Signal()
