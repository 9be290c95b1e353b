"""``manage.py webhook_kubeconfig --cluster NAME --url URL``: the API server's webhook kubeconfig."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml
from django.core.management.base import BaseCommand, CommandError

from auditui.access.models import IngestToken
from auditui.access.scope import ReservedClusterError, check_cluster_name


def webhook_kubeconfig(*, url: str, token: str, cluster: str, ca_file: str | None = None) -> dict:
    """The kubeconfig that ``--audit-webhook-config-file`` expects (the server is auditui)."""
    server: dict = {"server": url.rstrip("/") + "/api/v1/audit/webhook"}
    if ca_file:
        server["certificate-authority"] = ca_file
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "auditui", "cluster": server}],
        "users": [{"name": f"auditui-{cluster}", "user": {"token": token}}],
        "contexts": [{"name": "auditui", "context": {"cluster": "auditui", "user": f"auditui-{cluster}"}}],
        "current-context": "auditui",
    }


class Command(BaseCommand):
    help = "Print a kubeconfig for kube-apiserver --audit-webhook-config-file, with a new ingest token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cluster", required=True, help="cluster name the events are stored under")
        parser.add_argument("--url", required=True, help="auditui's base URL as the API server reaches it")
        parser.add_argument("--certificate-authority", help="CA file path on the API server host, for https")
        parser.add_argument("--token", help="use this existing token instead of creating one")

    def handle(self, *args, **options) -> None:
        url = options["url"]
        try:
            check_cluster_name(options["cluster"])
        except ReservedClusterError as exc:
            raise CommandError(str(exc)) from exc
        if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
            raise CommandError(f"--url {url!r} must start with http:// or https:// and name a host")
        token = options["token"]
        if token is not None:
            existing = IngestToken.authenticate(token)
            if existing is None or existing.cluster != options["cluster"]:
                raise CommandError(f"--token is not an active ingest token of cluster {options['cluster']}")
        else:
            _row, token = IngestToken.issue(cluster=options["cluster"], description="webhook kubeconfig")
        config = webhook_kubeconfig(
            url=url, token=token, cluster=options["cluster"], ca_file=options["certificate_authority"]
        )
        self.stdout.write(yaml.safe_dump(config, sort_keys=False).rstrip())
