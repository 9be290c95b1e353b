"""The one way auditui sends e-mail: ``make_message(name, to, context)`` renders
``templates/emails/<name>-subject.txt``, ``-body.txt`` and ``-body.html`` into a multipart message
(text and HTML), with attachments and extra headers (e.g. ``List-Unsubscribe``). Reports and
alerts both send through it; the transport is Django's, configured by ``EMAIL_URL``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def make_message(name: str, to: Sequence[str], context: Mapping[str, Any], *,
                 headers: Mapping[str, str] | None = None,
                 attachments: Sequence[tuple[str, bytes, str]] = ()) -> EmailMultiAlternatives:
    """``attachments``: (file name, content, MIME type)."""
    ctx = {"base_url": settings.AUDITUI_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"emails/{name}-body.txt", ctx),
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=list(to), headers=dict(headers or {}))
    message.attach_alternative(render_to_string(f"emails/{name}-body.html", ctx), "text/html")
    for file_name, content, mime in attachments:
        message.attach(file_name, content, mime)
    return message


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST ``List-Unsubscribe=One-Click`` to ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
