"""The API server's audit webhook backend target: ``POST /api/v1/audit/webhook``.

The API server sends an ``EventList`` (we also take one ``Event`` or JSON Lines), optionally
gzip-compressed, with ``Authorization: Bearer <ingest token>``. The token names the cluster.
"""

from __future__ import annotations

import gzip
import io
import zlib

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.access.models import IngestToken
from auditui.events import provenance
from auditui.events.ingest import ingest_decoded
from auditui.events.reader import decode_bytes

SHOWN_REJECTIONS = 20


class IngestPrincipal:
    """Who is calling: an ingest token, not a user. It can only write to its own cluster."""

    is_authenticated = True
    is_active = True
    is_superuser = False

    def __init__(self, token: IngestToken) -> None:
        self.token = token
        self.cluster = token.cluster


class IngestTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        token = IngestToken.authenticate(credentials.strip())
        if token is None:
            raise exceptions.AuthenticationFailed("invalid or revoked ingest token")
        return IngestPrincipal(token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="auditui ingest"'


class HasIngestToken(permissions.BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.user, IngestPrincipal)


class BodyError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, refusing anything larger than ``limit`` bytes."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"body of {declared} bytes is larger than the limit of {limit} bytes")
    body = request._request.read(limit + 1)
    if len(body) > limit:
        raise BodyError(413, f"body is larger than the limit of {limit} bytes")
    if request.META.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        # GzipFile reads every member (a concatenation of gzip files is valid gzip) and its
        # bounded read() keeps a gzip bomb from ever growing past the limit.
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(limit + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise BodyError(400, f"body is not valid gzip: {exc}") from exc
        if len(body) > limit:
            raise BodyError(413, f"decompressed body is larger than the limit of {limit} bytes")
    if not body.strip():
        raise BodyError(400, "empty body: expected an EventList, an Event or JSON Lines")
    return body


_RESULT = inline_serializer(
    "WebhookResult",
    {
        "ingested": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "rejected": serializers.IntegerField(),
        "dropped": serializers.IntegerField(),
        "rejections": serializers.ListField(child=serializers.CharField()),
    },
)


class AuditWebhookView(APIView):
    authentication_classes = [IngestTokenAuthentication]
    permission_classes = [HasIngestToken]

    @extend_schema(
        summary="Receive audit events from a Kubernetes API server (webhook backend)",
        request={"application/json": {"type": "object", "description": "audit.k8s.io/v1 EventList"}},
        responses={
            200: _RESULT,
            400: OpenApiResponse(description="body is not JSON"),
            401: OpenApiResponse(description="missing or bad token"),
            413: OpenApiResponse(description="body too large"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            body = read_body(request, settings.AUDITUI_WEBHOOK_MAX_BYTES)
        except BodyError as exc:
            return Response({"error": str(exc)}, status=exc.status_code)
        documents = list(decode_bytes(body, "body"))
        if documents and all(d.error for d in documents):
            return Response({"error": f"body is not JSON: {documents[0].error}"}, status=400)
        report = ingest_decoded(documents, cluster=request.user.cluster, source=provenance.webhook(request.user.token))
        payload = {
            **report.as_dict(),
            "rejections": [str(r) for r in report.rejections[:SHOWN_REJECTIONS]],
        }
        return Response(payload, status=status.HTTP_200_OK)
