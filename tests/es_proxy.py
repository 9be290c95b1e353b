"""A test-only proxy that lets Elastic's ``elasticsearch`` client talk to the OpenSearch test node.

Elastic's server cannot run here, so the Elasticsearch backend is tested through its real client
against OpenSearch, with this proxy in between (127.0.0.1, a thread per request). It changes only
what separates the two at the HTTP level for the APIs auditui uses:

* request ``Content-Type``/``Accept`` ``application/vnd.elasticsearch+json; compatible-with=N``
  (and ``+x-ndjson``) become ``application/json`` (``application/x-ndjson``): OpenSearch answers
  406 to the compatible-with media types;
* every response gets ``X-Elastic-Product: Elasticsearch``, without which the client raises
  ``UnsupportedProductError``;
* Elasticsearch's point-in-time endpoints map to OpenSearch's: ``POST /<index>/_pit`` to
  ``POST /<index>/_search/point_in_time`` (``pit_id`` answered as ``id``), ``DELETE /_pit``
  ``{"id"}`` to ``DELETE /_search/point_in_time`` ``{"pit_id": [...]}``.

Everything else (paths, parameters, bodies, status codes, error bodies) passes through unchanged,
so a body or parameter that OpenSearch does not accept fails here as it would have to.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+)\s*;\s*compatible-with=\d+", re.IGNORECASE)
_OPEN_PIT = re.compile(r"^/([^/?]+)/_pit(\?.*)?$")
_CLOSE_PIT = re.compile(r"^/_pit(\?.*)?$")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


def plain_media_type(value: str) -> str:
    """``application/vnd.elasticsearch+json; compatible-with=9`` → ``application/json``."""
    return _COMPAT.sub(lambda m: f"application/{m.group(1)}", value)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EsProxy

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.upstream: http.client.HTTPConnection | None = None  # kept alive, one per client connection

    def finish(self) -> None:
        super().finish()
        if self.upstream is not None:
            self.upstream.close()

    def _send_upstream(self, method: str, path: str, headers: dict, body: bytes):
        for attempt in (1, 2):
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
            try:
                self.upstream.request(method, path, body=body or None, headers=headers)
                response = self.upstream.getresponse()
                return response.status, response.reason, response.getheaders(), response.read()
            except (ConnectionError, http.client.HTTPException):
                self.upstream.close()
                self.upstream = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        method, path = self.command, self.path
        headers = {
            name: plain_media_type(value) if name.lower() in ("content-type", "accept") else value
            for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP
        }
        rewrite = None
        if method == "POST" and (match := _OPEN_PIT.match(path)):
            path, rewrite = f"/{match[1]}/_search/point_in_time{match[2] or ''}", _opened
        elif method == "DELETE" and (match := _CLOSE_PIT.match(path)):
            pit = json.loads(body or b"{}").get("id")
            path, rewrite = f"/_search/point_in_time{match[1] or ''}", _closed
            body = json.dumps({"pit_id": [pit]}).encode()
        status, reason, response_headers, payload = self._send_upstream(method, path, headers, body)
        if rewrite is not None and 200 <= status < 300:
            payload = json.dumps(rewrite(json.loads(payload))).encode()
        self.send_response(status, reason)
        for name, value in response_headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


def _opened(response: dict) -> dict:
    return {"id": response["pit_id"], "_shards": response.get("_shards", {})}


def _closed(response: dict) -> dict:
    pits = response.get("pits", [])
    freed = sum(1 for pit in pits if pit.get("successful"))
    return {"succeeded": freed == len(pits), "num_freed": freed}


class EsProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 9200)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EsProxy:
        self._thread = threading.Thread(target=self.serve_forever, name="es-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
