from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from auditui.events.models import AuditEvent
from tests.factories import audit_event, event_list

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _jsonl(path: Path, events: list) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_it_ends_with_a_json_summary(tmp_path):
    path = _jsonl(tmp_path / "a.log", [audit_event(), audit_event(), {"kind": 0}])
    out, err = _run("--cluster", "prod", "--json", str(path))
    assert json.loads(out.strip().splitlines()[-1]) == {"ingested": 2, "duplicates": 0, "rejected": 1, "dropped": 0}
    assert f"rejected {path}:3: not an audit event" in err
    assert AuditEvent.objects.filter(cluster="prod").count() == 2


def test_it_reads_gzip_event_lists_and_several_paths(tmp_path):
    gz = tmp_path / "b.json.gz"
    gz.write_bytes(gzip.compress(json.dumps(event_list([audit_event(), audit_event()]), indent=2).encode()))
    plain = _jsonl(tmp_path / "c.log", [audit_event()])
    out, _ = _run("--json", str(gz), str(plain))
    assert json.loads(out.splitlines()[-1])["ingested"] == 3
    assert AuditEvent.objects.filter(cluster="default").count() == 3


def test_it_counts_re_ingest_as_duplicates(tmp_path):
    path = _jsonl(tmp_path / "a.log", [audit_event(), audit_event()])
    _run(str(path))
    out, _ = _run("--json", str(path))
    assert json.loads(out.splitlines()[-1]) == {"ingested": 0, "duplicates": 2, "rejected": 0, "dropped": 0}


def test_it_lists_the_first_twenty_rejections_then_a_count(tmp_path):
    path = _jsonl(tmp_path / "bad.log", [{"kind": i} for i in range(25)])
    _, err = _run(str(path))
    assert err.count("\nrejected ") + err.startswith("rejected ") == 20
    assert "… and 5 more rejected records" in err


def test_it_exits_2_for_an_unreadable_path_but_ingests_the_others(tmp_path):
    good = _jsonl(tmp_path / "ok.log", [audit_event()])
    with pytest.raises(CommandError) as error:
        _run(str(tmp_path / "missing.log"), str(good))
    assert error.value.returncode == 2
    assert AuditEvent.objects.count() == 1


def test_it_keeps_records_read_before_a_truncated_gzip(tmp_path):
    events = [audit_event() for _ in range(3000)]
    data = gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode())
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CommandError):
        _run("--batch-size", "100", str(path))
    assert AuditEvent.objects.count() > 1000


def test_it_reads_stdin_and_exits_0_with_rejections(tmp_path):
    body = json.dumps(audit_event()) + "\n" + "garbage\n"
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest", "--cluster", "stdin", "--json", "-"],
        input=body, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**_env(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "ingested": 1, "duplicates": 0, "rejected": 1, "dropped": 0}
    assert "-:2: invalid JSON" in result.stderr


def test_it_exits_2_in_a_real_process_for_a_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest", "--json", str(tmp_path / "nope.log")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=_env(tmp_path),
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def _env(tmp_path: Path) -> dict:
    import os

    data_dir = tmp_path / "data"
    env = {**os.environ, "AUDITUI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "auditui.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env


def test_it_shows_a_progress_bar_with_rate_on_a_terminal():
    from auditui.progress import Progress

    stream = io.StringIO()
    progress = Progress("audit.log", 2048, stream=stream, enabled=True)
    progress.update(1024, 5000, force=True)
    progress.finish()
    line = stream.getvalue()
    assert "50%" in line and "5,000 events" in line and "events/s" in line


def test_the_progress_bar_counts_other_work_in_its_own_unit():
    from auditui.progress import Progress

    stream = io.StringIO()
    progress = Progress("indexing object days", None, stream=stream, enabled=True, unit="object-days")
    progress.update(0, 12000, force=True)
    line = stream.getvalue()
    assert "12,000 object-days" in line and "object-days/s" in line and " B " not in line


def test_it_says_when_the_store_cannot_take_events_and_still_ends_with_the_summary(tmp_path, settings):
    from tests.services import closed_port

    port = closed_port()
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{port}"
    path = _jsonl(tmp_path / "a.log", [audit_event(), audit_event()])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("ingest", "--json", str(path), stdout=out, stderr=err)
    assert f"the event store cannot take events: OpenSearch at http://127.0.0.1:{port} cannot be reached" in str(
        failed.value)
    assert "running the same command again is safe" in str(failed.value)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["ingested"] == 0


@pytest.mark.opensearch
def test_it_returns_once_what_it_ingested_is_searchable_on_a_search_engine(request, settings, tmp_path):
    # Issue 12: with AUDITUI_INDEX_REFRESH=false a search right after the command found nothing.
    import uuid

    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery, get_store
    from tests.backends import engine_store_url

    settings.EVENT_STORE_URL = engine_store_url(request, "opensearch")
    settings.AUDITUI_INDEX_PREFIX = f"auditui-test-{uuid.uuid4().hex[:12]}"
    settings.AUDITUI_INDEX_REFRESH = "false"
    store = get_store()
    try:
        path = _jsonl(tmp_path / "a.log", [audit_event() for _ in range(3)])
        out, _ = _run("--json", "--cluster", "fresh", str(path))
        assert json.loads(out.splitlines()[-1])["ingested"] == 3
        assert store.count(EventQuery(scope=ViewerScope.all(), clusters=("fresh",))) == 3
    finally:
        store.drop_everything()


def test_it_stores_the_good_records_around_one_no_store_takes(tmp_path):
    # Issue 12: an integer of 5,000 digits ended the command with a traceback (int-string limit).
    huge = json.dumps(audit_event(requestObject={"n": "@"})).replace('"@"', "9" * 5000)
    path = tmp_path / "a.log"
    path.write_text(json.dumps(audit_event()) + "\n" + huge + "\n" + json.dumps(audit_event(verb="x\ud800")) + "\n"
                    + json.dumps(audit_event()) + "\n")
    out, _ = _run("--json", str(path))
    assert json.loads(out.splitlines()[-1]) == {"ingested": 4, "duplicates": 0, "rejected": 0, "dropped": 0}
    stored = AuditEvent.objects.get(raw__requestObject__n="9" * 5000)
    assert stored.raw["auditui.sanitized"]
