"""One transport class per notification channel: e-mail, a JSON webhook, a Slack-compatible one.

``notify`` sends one message or raises ``TransportError``; ``permanent`` says that retrying would
not help (a 4xx answer, a refused address), so the delivery fails at once instead of backing off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

TIMEOUT_S = 10
SIGNATURE_HEADER = "X-Auditui-Signature"


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """What is said about one alert event (or a test), whatever the channel."""

    subject: str
    alert: str
    severity: int
    description: str
    time: str
    keys: dict[str, Any]
    count: int
    value: float | None
    state: str
    link: str

    def as_json(self) -> dict[str, Any]:
        return {"alert": self.alert, "severity": self.severity, "description": self.description, "time": self.time,
                "keys": self.keys, "count": self.count, "value": self.value, "state": self.state, "link": self.link}


class Transport:
    def notify(self, message: Message, target: str, *, secret: str = "") -> None:
        raise NotImplementedError


class EmailTransport(Transport):
    """Through Django's mail backend (``EMAIL_URL``): subject, text and HTML templates."""

    def notify(self, message: Message, target: str, *, secret: str = "") -> None:
        context = {"m": message}
        mail = EmailMultiAlternatives(
            subject=message.subject, body=render_to_string("emails/alert-body.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[target],
        )
        mail.attach_alternative(render_to_string("emails/alert-body.html", context), "text/html")
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"the server refused {target}: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def post_json(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - http(s) URLs only
            response.read(1024)
    except urllib.error.HTTPError as exc:
        # 4xx: the receiver refuses this message (bad URL, bad token), retrying will not help;
        # 429 and 5xx may pass later.
        permanent = 400 <= exc.code < 500 and exc.code != 429
        raise TransportError(f"HTTP {exc.code} from {url}", permanent=permanent) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"{url}: {getattr(exc, 'reason', exc)}") from exc


def _check_url(url: str) -> None:
    if not url.lower().startswith(("http://", "https://")):
        raise TransportError(f"{url!r} is not an http(s) URL", permanent=True)


class WebhookTransport(Transport):
    """A POST of the message as JSON; with a secret, ``X-Auditui-Signature: sha256=<HMAC of the body>``."""

    def notify(self, message: Message, target: str, *, secret: str = "") -> None:
        _check_url(target)
        body = json.dumps(message.as_json(), ensure_ascii=False).encode()
        headers = {}
        if secret:
            headers[SIGNATURE_HEADER] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        post_json(target, body, headers)


class SlackTransport(Transport):
    """Slack's incoming-webhook format (``text`` with mrkdwn), which Mattermost and others accept."""

    def notify(self, message: Message, target: str, *, secret: str = "") -> None:
        _check_url(target)
        text = (f"*{message.subject}*\n{message.description}\n"
                f"severity {message.severity} · {message.time} · <{message.link}|show matching events>")
        post_json(target, json.dumps({"text": text}, ensure_ascii=False).encode(), {})


TRANSPORTS: dict[str, Transport] = {
    "email": EmailTransport(), "webhook": WebhookTransport(), "slack": SlackTransport(),
}
