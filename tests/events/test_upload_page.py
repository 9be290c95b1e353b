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


# --- who may upload, into which cluster, and who sees the jobs ---------------------------------

def staff_user(django_user_model, name: str, *, clusters: str = "", namespaces: str = "*", upload: bool = True):
    """Staff, with the upload permission unless told, and a scope when ``clusters`` is given."""
    from django.contrib.auth.models import Permission

    from auditui.access.models import Scope

    user = django_user_model.objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
    if upload:
        user.user_permissions.add(Permission.objects.get(codename="upload_events", content_type__app_label="events"))
    if clusters:
        Scope.objects.create(name=f"{name}'s", clusters=clusters, namespaces=namespaces).users.add(user)
    return user


def test_it_refuses_staff_without_the_upload_permission(client, django_user_model):
    client.force_login(staff_user(django_user_model, "plain-staff", clusters="*", upload=False))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"cluster": "c1", "file": audit_file()}).status_code == 403
    assert IngestJob.objects.count() == 0
    assert f'href="{URL}"' not in client.get("/").content.decode()  # no Upload link either


def test_it_lets_an_uploader_upload_into_a_cluster_their_scope_covers(client, django_user_model):
    client.force_login(staff_user(django_user_model, "uploader", clusters="prod-*"))

    response = client.post(URL, {"cluster": "prod-eu", "file": audit_file()})

    assert response.status_code == 302
    assert IngestJob.objects.get().cluster == "prod-eu"


@pytest.mark.parametrize(("clusters", "namespaces"), [("prod-*", "*"), ("*", "payments"), ("", "*")])
def test_it_refuses_a_cluster_the_scope_does_not_cover_wholly(client, django_user_model, clusters, namespaces):
    client.force_login(staff_user(django_user_model, "uploader", clusters=clusters, namespaces=namespaces))

    response = client.post(URL, {"cluster": "staging", "file": audit_file()})

    assert response.status_code == 200
    assert "Your access scope does not cover all of cluster staging" in response.content.decode()
    assert IngestJob.objects.count() == 0


def test_it_lists_only_the_jobs_of_clusters_the_scope_covers(client, django_user_model, admin):
    for cluster in ("prod-eu", "staging"):
        IngestJob.objects.create(cluster=cluster, file_name=f"{cluster}.log", path="", created_by=admin)
    viewer = staff_user(django_user_model, "uploader", clusters="prod-*")
    partial = staff_user(django_user_model, "ns-only", clusters="staging", namespaces="payments")
    client.force_login(viewer)

    page = client.get(URL).content.decode()
    assert "prod-eu.log" in page and "staging.log" not in page
    overview = client.get("/").content.decode()
    assert "prod-eu.log" in overview and "staging.log" not in overview
    client.force_login(partial)
    assert "staging.log" not in client.get(URL).content.decode()  # a namespace is not the cluster
    client.force_login(admin)
    assert "staging.log" in client.get(URL).content.decode()


def test_the_job_admin_lists_by_scope_too(client, django_user_model, admin):
    from django.contrib.auth.models import Permission

    for cluster in ("prod-eu", "staging"):
        IngestJob.objects.create(cluster=cluster, file_name=f"{cluster}.log", path="")
    viewer = staff_user(django_user_model, "uploader", clusters="prod-*")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ingestjob"))
    client.force_login(viewer)

    page = client.get("/admin/events/ingestjob/").content.decode()

    assert "prod-eu.log" in page and "staging.log" not in page


def test_its_reasons_name_the_place_and_quote_at_most_a_few_characters_of_a_value(client, admin):
    secret = "s3cr3t-" * 2000
    lines = [json.dumps({**audit_event(), "stage": secret}), json.dumps({**audit_event(), "kind": {"token": secret}}),
             json.dumps(audit_event(requestReceivedTimestamp=secret, stageTimestamp=None))]
    upload = SimpleUploadedFile("leaky.log", "\n".join(lines).encode(), "text/plain")
    client.force_login(admin)
    client.post(URL, {"cluster": "c1", "file": upload})
    job = IngestJob.objects.get()

    services.run_ingest_job(job.pk)

    job.refresh_from_db()
    assert job.rejected == 3 and len(job.rejections) == 3
    places = [r.split(": ")[0].rsplit("-", 1)[-1] for r in job.rejections]
    assert places == ["leaky.log:1", "leaky.log:2", "leaky.log:3"]
    assert all(len(r) < 200 for r in job.rejections), job.rejections
    assert "a JSON object" in job.rejections[1] and "token" not in job.rejections[1]
    page = client.get(URL).content.decode()
    assert "leaky.log:1" in page and secret[:100] not in page


def test_an_unexpected_error_is_kept_without_its_message(admin, monkeypatch, db):
    job = IngestJob.objects.create(cluster="c1", file_name="a.log", path="/nonexistent", created_by=admin)

    def explode(*args, **kwargs):
        raise RuntimeError("value 'the-secret-in-the-record' broke it")

    monkeypatch.setattr(services, "ingest_path", explode)
    with pytest.raises(RuntimeError):
        services.run_ingest_job(job.pk)

    job.refresh_from_db()
    assert job.status == IngestJob.Status.FAILED
    assert job.error == "internal error (RuntimeError); the worker's log has the details"


def test_it_cuts_engine_previews_out_of_job_reasons():
    reason = ("c1/abc: 400 {\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse field [x] of type "
              "[long] in document with id 'abc'. Preview of field's value: 'the-secret'\"}")

    assert "the-secret" not in services.job_text(reason)
    assert "Preview of field's value: (left out)" in services.job_text(reason)
