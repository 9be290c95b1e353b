"""A real OpenSearch node for the test session (a pytest plugin: ``pytest_plugins = ["tests.opensearch_node"]``).

``opensearch_url`` is ``OPENSEARCH_URL`` when set; else the node in ``tools/opensearch`` (OpenSearch 2.19 from
Maven Central jars) is built if needed and started on a free localhost port with a fresh home, and stopped with
SIGTERM at the end of the session. Without Java/Maven, or when the build fails, tests using it skip locally and
fail in CI (``CI=true``). Mark such tests ``@pytest.mark.opensearch``.

Environment: ``OPENSEARCH_URL`` (use that node), ``OPENSEARCH_START_TIMEOUT`` (seconds, default 120),
``OPENSEARCH_HEAP`` (default 512m), ``MAVEN_ARGS_EXTRA`` (e.g. ``-o``), all passed through to ``run.sh``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "tools" / "opensearch" / "run.sh"
BUILD_TIMEOUT = 900.0
STOP_TIMEOUT = 30.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> NoReturn:
    """The node cannot be had here: skip locally, fail in CI (a CI run never silently tests less)."""
    if _in_ci():
        pytest.fail(f"OpenSearch is required in CI: {reason}", pytrace=False)
    pytest.skip(f"needs OpenSearch: {reason} (or set OPENSEARCH_URL)")


def _tail(text: str, limit: int = 4000) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def _die_with_parent() -> None:
    """In the child: get SIGTERM if pytest dies without running its finalizers (Linux only)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def build_node() -> None:
    """Build tools/opensearch if needed (``run.sh --build``); skip/fail if it cannot be built here."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            _unavailable(f"'{tool}' is not on PATH (Java 17+ and Maven build and run tools/opensearch)")
    try:
        done = subprocess.run(["bash", str(RUN_SH), "--build"], cwd=ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        _unavailable(f"building tools/opensearch took more than {BUILD_TIMEOUT:.0f} s")
    if done.returncode != 0:
        _unavailable(f"building tools/opensearch failed (exit {done.returncode}):\n"
                     f"{_tail(done.stdout.decode(errors='replace'))}")


def cluster_health(url: str, timeout: float = 5.0) -> str | None:
    """The cluster status once it is at least yellow, else None (not answering, or red)."""
    query = f"{url}/_cluster/health?wait_for_status=yellow&timeout={max(int(timeout) - 1, 1)}s"
    try:
        with urllib.request.urlopen(query, timeout=timeout) as response:
            status = json.load(response).get("status")
    except (OSError, ValueError):
        return None
    return status if status in ("yellow", "green") else None


class OpenSearchNode:
    """One node started through ``tools/opensearch/run.sh``; ``start()`` returns once it is yellow or green."""

    def __init__(self, process: subprocess.Popen, directory: Path, log_path: Path, ready_file: Path) -> None:
        self.process = process
        self.directory = directory
        self.log_path = log_path
        self.ready_file = ready_file
        self.url = ""

    @classmethod
    def start(cls, directory: Path, *, timeout: float = 120.0) -> OpenSearchNode:
        directory.mkdir(parents=True, exist_ok=True)
        log_path = directory / "node.log"
        ready_file = directory / "url"
        env = {
            **os.environ,
            "OPENSEARCH_PORT": "0",              # the node picks a free port and writes its URL to ready_file
            "OPENSEARCH_TRANSPORT_PORT": "0",
            "OPENSEARCH_HOME": str(directory / "home"),
            "OPENSEARCH_READY_FILE": str(ready_file),
        }
        env.pop("OPENSEARCH_KEEP_DATA", None)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(["bash", str(RUN_SH)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        node = cls(process, directory, log_path, ready_file)
        try:
            node.wait_until_ready(timeout)
        except BaseException:
            node.stop()
            raise
        return node

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OpenSearch exited with code {self.process.returncode}; "
                                   f"log {self.log_path}:\n{self.log_tail()}")
            if not self.url and self.ready_file.exists():
                self.url = self.ready_file.read_text().strip()
            if self.url and cluster_health(self.url, timeout=max(1.0, min(5.0, deadline - time.monotonic()))):
                return
            time.sleep(0.25)
        raise RuntimeError(f"OpenSearch was not ready (yellow/green) within {timeout:.0f} s; "
                           f"log {self.log_path}:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (the launcher closes the node), then SIGKILL if it has not stopped in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory / "home", ignore_errors=True)


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an OpenSearch 2.19 node: ``OPENSEARCH_URL`` if set, else one started for this session."""
    url = os.environ.get("OPENSEARCH_URL", "").strip()
    if url:
        yield url.rstrip("/")
        return
    build_node()
    timeout = float(os.environ.get("OPENSEARCH_START_TIMEOUT") or 120)
    try:
        node = OpenSearchNode.start(tmp_path_factory.mktemp("opensearch"), timeout=timeout)
    except RuntimeError as error:
        failure = str(error)
    else:
        failure = ""
    if failure:  # outside the except block: one message, not a chain of two
        pytest.fail(failure, pytrace=False)
    try:
        yield node.url
    finally:
        node.stop()
