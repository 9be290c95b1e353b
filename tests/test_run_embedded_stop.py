"""``make run`` (tools/run-embedded.sh) stops all of its processes, and holds its data directory.

Each way of stopping it (Ctrl-C: SIGINT to its process group; SIGTERM to the script; SIGTERM to its
process group) is tried 10 times, at different moments after the services were started, and after
each stop no process the script started is left, within 10 s.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 10
STOP_WITHIN_S = 10.0
needs_venv = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(),
                                reason="make run needs .venv (make deps)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, port: int) -> dict[str, str]:
    unset = ("DATABASE_URL", "EVENT_STORE_URL", "SECRET_KEY", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(HOST="127.0.0.1", PORT=str(port), AUDITUI_DATA_DIR=str(data_dir))
    return env


def _start(data_dir: Path, port: int) -> subprocess.Popen:
    # The demo is skipped (its marker exists): the logins are still checked, the rest is the same.
    (data_dir / ".demo-loaded").touch()
    return subprocess.Popen(["bash", "tools/run-embedded.sh"], cwd=ROOT, env=_env(data_dir, port), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_running(process: subprocess.Popen) -> list[int]:
    """Reads the script's output up to its banner; returns the services' pids it prints."""
    deadline = time.monotonic() + 180
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith("pids:"):
            return [int(pid) for pid in line.split(":", 1)[1].split()]
        assert time.monotonic() < deadline, "make run did not start in 180 s"
    raise AssertionError(f"make run ended before serving (exit {process.wait()})")


def _descendants(root: int) -> set[int]:
    """Every live process below ``root``, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _in_session(sid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop(process: subprocess.Popen, way: str) -> None:
    if way == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    elif way == "sigterm":
        os.kill(process.pid, signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGTERM)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    # Whatever a failed round left behind goes with the test.
    for pid in _in_session_of_leftovers(tmp_path):
        os.kill(pid, signal.SIGKILL)


def _in_session_of_leftovers(data_dir: Path) -> set[int]:
    lock = data_dir / "run.lock"
    if lock.exists() and lock.read_text().strip().isdigit():
        return {pid for pid in _in_session(int(lock.read_text())) if _alive(pid)}
    return set()


@needs_venv
@pytest.mark.slow
@pytest.mark.parametrize("way", ["ctrl-c", "sigterm", "sigterm-group"])
def test_it_stops_every_process_each_time(data_dir: Path, way: str) -> None:
    port = _free_port()
    for round_ in range(ROUNDS):
        process = _start(data_dir, port)
        try:
            services = _wait_running(process)
            # Different moments: services still importing Django, booting, or serving and working.
            time.sleep([0.0, 0.5, 1.5, 3.0, 6.0][round_ % 5])
            started = _descendants(process.pid) | set(services)
            begun = time.monotonic()
            _stop(process, way)
            process.wait(timeout=STOP_WITHIN_S + 5)
            left = {pid for pid in started | _in_session(process.pid) if _alive(pid)}
            took = time.monotonic() - begun
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert not left, f"round {round_}, {way}: still running: {sorted(left)}"
        assert took < STOP_WITHIN_S, f"round {round_}, {way}: took {took:.1f} s"
        assert not (data_dir / "run.lock").exists()


@needs_venv
@pytest.mark.slow
def test_it_refuses_a_second_run_on_the_same_data_directory(data_dir: Path) -> None:
    first = _start(data_dir, _free_port())
    try:
        _wait_running(first)
        second = subprocess.run(["bash", "tools/run-embedded.sh"], cwd=ROOT, env=_env(data_dir, _free_port()),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 75
        assert f"auditui is already running on {data_dir} (pid {first.pid}" in second.stderr
        assert (data_dir / "run.lock").read_text().strip() == str(first.pid)
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=STOP_WITHIN_S + 5)


@needs_venv
def test_it_takes_over_the_lock_of_a_dead_holder(data_dir: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data_dir / "run.lock").write_text(f"{dead.pid}\n")
    process = _start(data_dir, _free_port())
    try:
        _wait_running(process)
        assert (data_dir / "run.lock").read_text().strip() == str(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_WITHIN_S + 5)
    assert not (data_dir / "run.lock").exists()
