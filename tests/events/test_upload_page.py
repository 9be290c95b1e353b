"""The upload page, /events/upload/: staff queue an audit log file for a worker to ingest."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from auditui.events import services
from auditui.events.models import AuditEvent, IngestJob
from tests.factories import audit_event

URL = "/events/upload/"


def audit_file(name: str = "kube-apiserver-audit.log.gz") -> SimpleUploadedFile:
    lines = [json.dumps(audit_event(name="one")), '{"kind": 0}', json.dumps(audit_event(name="two"))]
    return SimpleUploadedFile(name, gzip.compress("\n".join(lines).encode() + b"\n"), "application/gzip")


def test_it_shows_the_form_to_staff(client, admin):
    client.force_login(admin)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "No uploads yet." in page


def test_it_queues_an_uploaded_file(client, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    upload = audit_file()
    content = upload.read()
    upload.seek(0)

    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(URL, {"cluster": "prod-eu", "file": upload})

    assert response.status_code == 302
    assert response.url == URL
    job = IngestJob.objects.get()
    assert (job.cluster, job.file_name, job.status, job.created_by) == (
        "prod-eu", "kube-apiserver-audit.log.gz", IngestJob.Status.QUEUED, admin)
    assert Path(job.path).read_bytes() == content
    assert len(enqueued) == 1  # the worker is asked only once the job is committed
    assert AuditEvent.objects.exclude(cluster="auditui").count() == 0  # (auditui's trail records the upload)
    page = client.get(URL).content.decode()
    assert "kube-apiserver-audit.log.gz is queued for ingest into cluster prod-eu." in page


def test_it_shows_the_outcome_once_a_worker_ran_the_job(client, admin):
    client.force_login(admin)
    client.post(URL, {"cluster": "prod-eu", "file": audit_file()})
    job = IngestJob.objects.get()

    services.run_ingest_job(job.pk)

    page = client.get(URL).content.decode()
    assert "done" in page
    row = page[page.index("kube-apiserver-audit.log.gz</td>"):]
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:3] == ["2", "0", "1"]  # ingested, dup., rejected
    assert "kind is 0" in page
    assert AuditEvent.objects.filter(cluster="prod-eu").count() == 2


def test_it_keeps_only_the_base_name_of_the_uploaded_file(client, admin):
    client.force_login(admin)

    client.post(URL, {"cluster": "c1", "file": audit_file("../../etc/audit.log")})

    job = IngestJob.objects.get()
    assert job.file_name == "audit.log"
    assert Path(job.path).parent == services.uploads_dir()


@pytest.mark.parametrize("persona", ["scoped_user", "outsider"])
def test_it_sends_non_staff_to_the_admin_login(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(URL, {"cluster": "c1", "file": audit_file()})

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert "next=/events/upload/" in response.url
    assert IngestJob.objects.count() == 0


def test_it_sends_anonymous_visitors_to_the_admin_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


@pytest.mark.parametrize("cluster", ["bad cluster!", "-leading-dash", "a/b"])
def test_it_refuses_a_bad_cluster_name(client, admin, cluster):
    client.force_login(admin)

    response = client.post(URL, {"cluster": cluster, "file": audit_file()})

    assert response.status_code == 200
    assert response.context["form"].errors["cluster"] == ["Use letters, digits, dots, dashes and underscores only."]
    assert "Use letters, digits, dots, dashes and underscores only." in response.content.decode()
    assert IngestJob.objects.count() == 0


def test_it_requires_a_file(client, admin):
    client.force_login(admin)

    response = client.post(URL, {"cluster": "c1"})

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert IngestJob.objects.count() == 0
