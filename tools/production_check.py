"""The checks of tools/production-check.sh against a running production-like auditui (standard
library only). Environment: PORT, TOKEN (API), INGEST_TOKEN, PASSWORD (admin's), WORKER_PID,
PIDS (web, worker, beat), AUDITUI_HEARTBEAT_S."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sys
import time
import uuid
from datetime import UTC, datetime

PORT = int(os.environ["PORT"])
HEARTBEAT_S = int(os.environ.get("AUDITUI_HEARTBEAT_S", "30"))
PROXY = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front says (AUDITUI_TLS_PROXY=1)


def request(method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request(method, path, body=body, headers={**PROXY, **(headers or {})})
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read()


def check(condition: bool, what: str) -> None:
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        sys.exit(1)


def cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key] = rest.split(";", 1)[0]
    return found


def wait_up() -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    check(False, "gunicorn answers /healthz within 90 s")


def log_in() -> str:
    status, headers, body = request("GET", "/login/")
    csrf = cookies(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = f"username=admin&password={os.environ['PASSWORD']}&csrfmiddlewaretoken={token}".encode()
    status, headers, _ = request("POST", "/login/", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
        "Referer": f"https://127.0.0.1:{PORT}/login/", "Origin": f"https://127.0.0.1:{PORT}"})
    session = cookies(headers).get("sessionid")
    check(status == 302 and bool(session), "the admin logs in through the login page (behind the TLS proxy)")
    return f"sessionid={session}; csrftoken={csrf}"


def api(path: str, *, say: bool = True) -> dict:
    status, _, body = request("GET", path, headers={"Authorization": f"Token {os.environ['TOKEN']}"})
    if say or status != 200:
        check(status == 200, f"GET {path} with an API token: {status}")
    return json.loads(body)


def webhook() -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": str(uuid.uuid4()),
             "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/payments/pods", "verb": "create",
             "user": {"username": "alice"}, "objectRef": {"resource": "pods", "namespace": "payments", "name": "web"},
             "responseStatus": {"code": 201}, "requestReceivedTimestamp": now, "stageTimestamp": now}
    body = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [event]}).encode()
    status, _, answer = request("POST", "/api/v1/audit/webhook", body, {
        "Authorization": f"Bearer {os.environ['INGEST_TOKEN']}", "Content-Type": "application/json"})
    check(status == 200 and json.loads(answer)["ingested"] == 1, f"the webhook stores an event: {answer!r}")
    check(api("/api/v1/events?cluster=prodcheck&start=now-1h")["count"] == 1, "the API finds it in the event store")


def processes() -> dict:
    return api("/api/v1/status", say=False)["sections"]["processes"]


def wait_for(predicate, timeout: float) -> float | None:
    begun = time.monotonic()
    while time.monotonic() - begun < timeout:
        if predicate():
            return time.monotonic() - begun
        time.sleep(1)
    return None


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def stop_all(pids: list[int], names: str) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    begun = time.monotonic()
    while time.monotonic() - begun < 10 and not all(gone(p) for p in pids):
        time.sleep(0.1)
    check(all(gone(p) for p in pids), f"{names} stop(s) on SIGTERM within 10 s ({time.monotonic() - begun:.1f} s)")


def main() -> None:
    wait_up()
    check(request("GET", "/readyz")[0] == 200, "/readyz: PostgreSQL and OpenSearch answer")
    session = log_in()
    for path in ("/", "/events/", "/policies/", "/endpoints/", "/admin/", "/status/", "/scope/",
                 "/api/v1/docs/", "/admin/auth/user/"):
        status = request("GET", path, headers={"Cookie": session})[0]
        check(status == 200, f"page {path}: {status}")
    webhook()
    took = wait_for(lambda: processes()["ok"], 4 * HEARTBEAT_S + 30)
    check(took is not None, f"/api/v1/status: worker and beat alive (heartbeat {HEARTBEAT_S} s)")
    worker, everyone = int(os.environ["WORKER_PID"]), [int(p) for p in os.environ["PIDS"].split()]
    api("/api/v1/status")
    stop_all([worker], "the worker")
    took = wait_for(lambda: processes()["details"]["worker"]["alive"] is False, 2 * HEARTBEAT_S + 2)
    took = round(took) if took is not None else None
    check(took is not None, f"a stopped worker shows as stopped within two heartbeat intervals ({took} s)")
    check(processes()["details"]["beat"]["alive"], "beat is still alive meanwhile")
    stop_all([p for p in everyone if p != worker], "web and beat")


if __name__ == "__main__":
    main()
