"""``make run`` (tools/run-embedded.sh) off loopback: the known demo password is refused."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="make run needs .venv (make deps)")
def test_it_refuses_the_demo_password_on_a_public_address(tmp_path):
    unset = ("DATABASE_URL", "EVENT_STORE_URL", "SECRET_KEY", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(HOST="0.0.0.0", PORT="1", AUDITUI_DATA_DIR=str(tmp_path), AUDITUI_ADMIN_PASSWORD="admin")
    process = subprocess.Popen(["bash", "tools/run-embedded.sh"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:  # it went on to load the demo and serve: stop all of it
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0
    assert "AUDITUI_ADMIN_PASSWORD=admin is the known demo password" in err
    assert not (tmp_path / ".demo-loaded").exists() and "auditui is running" not in out
