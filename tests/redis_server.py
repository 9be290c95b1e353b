"""A throw-away ``redis-server`` for the test session: a free localhost port, a temp dir, no persistence."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; a tiny race is acceptable in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """One ``redis-server`` child process; ``start()`` returns once it answers PING."""

    def __init__(self, process: subprocess.Popen, port: int, directory: Path) -> None:
        self.process = process
        self.port = port
        self.directory = directory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, executable: str = "redis-server", *, timeout: float = 10.0) -> RedisServer:
        directory = Path(tempfile.mkdtemp(prefix="auditui-redis-"))
        port = free_port()
        command = [
            executable,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(directory / "redis.log"),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = cls(process, port, directory)
        try:
            server.wait_until_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def ping(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}: {self._log_tail()}")
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {timeout} s: "
                           f"{self._log_tail()}")

    def _log_tail(self) -> str:
        log = self.directory / "redis.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        if self.process.stderr is not None and self.process.poll() is not None:
            text += self.process.stderr.read().decode(errors="replace")
        return text.strip()[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.directory, ignore_errors=True)
