"""auditui: Kubernetes audit logs made useful."""

from auditui.celery import app as celery_app

__all__ = ["celery_app"]
