"""Real servers for the notification tests: an SMTP server (aiosmtpd) and an HTTP receiver that
fails on purpose when told to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.services import closed_port as free_port
from tests.smtp import SmtpServer, running_smtp_server


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    yield from running_smtp_server(settings)


@dataclass
class Receiver:
    url: str
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    fail_next: int = 0  # answer 503 to that many requests first
    status_by_path: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append((self.path, dict(self.headers), json.loads(body or b"null")))
            status = receiver.status_by_path.get(self.path, 200)
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                status = 503
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
