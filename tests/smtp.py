"""A real SMTP server for the tests (aiosmtpd) on loopback, with Django's mail pointed at it (as
EMAIL_URL would): what it receives, and transient refusals on demand. One server for every app's
tests (alerts' notifications, reports' subscriptions)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.services import closed_port as free_port


class SmtpServer:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []  # each message's envelope recipients
        self.refuse = 0  # refuse the next N messages (a transient 451)

    @property
    def deliveries(self) -> list[tuple[list[str], Message]]:
        return list(zip(self.recipients, self.messages, strict=True))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def running_smtp_server(settings) -> Iterator[SmtpServer]:
    """For a fixture: the server started and Django's mail pointed at it, stopped afterwards."""
    server = SmtpServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        controller.stop()
