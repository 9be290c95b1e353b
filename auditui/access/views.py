"""``/scope/``: what the viewer's scope is and what it means for what they see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from auditui.access.limits import scope_limit
from auditui.access.scope import RESERVED_CLUSTER, scope_for


@login_required
def my_scope(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    return render(request, "access/scope.html", {
        "limit": scope_limit(scope), "grants": scope.grants, "reserved_cluster": RESERVED_CLUSTER,
    })
