"""Policies in two clusters, changed within the last few hours: a Kubernetes NetworkPolicy with a
full life (namespace payments), a Calico GlobalNetworkPolicy in tier security (cluster-scoped),
a Calico NetworkPolicy in checkout, and an old NetworkSet changed last month."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.policies.stories import PolicyStory, full_lifecycle

GNP_SPEC = {"tier": "security", "order": 10, "selector": "all()", "types": ["Egress"],
            "egress": [{"action": "Deny", "protocol": "TCP", "destination": {"nets": ["169.254.169.254/32"]}},
                       {"action": "Pass"}]}
CALICO_NP_SPEC = {"tier": "platform", "order": 100, "selector": "app == 'cart'", "types": ["Ingress"],
                  "ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [8080]}}]}


def calico(name: str, namespace: str | None, resource: str, kind: str, **kw) -> PolicyStory:
    return PolicyStory(name=name, namespace=namespace, resource=resource, group="projectcalico.org", version="v3",
                       kind=kind, **kw)


@pytest.fixture
def stories(ingest):
    now = timezone.now()
    k8s = full_lifecycle(PolicyStory(start=now - timedelta(hours=3)))
    gnp = calico("security.block-metadata", None, "globalnetworkpolicies", "GlobalNetworkPolicy",
                 start=now - timedelta(hours=2), user="dave@example.com")
    gnp.create(copy.deepcopy(GNP_SPEC))
    gnp.json_patch([{"op": "replace", "path": "/spec/order", "value": 20}])
    cart = calico("platform.cart", "checkout", "networkpolicies", "NetworkPolicy", start=now - timedelta(hours=1))
    cart.create(copy.deepcopy(CALICO_NP_SPEC))
    old = calico("office", "payments", "networksets", "NetworkSet", start=now - timedelta(days=40))
    old.create({"nets": ["10.1.0.0/16"]})
    for story in (k8s, gnp, cart, old):
        ingest(story.events, cluster="c1")
    other = full_lifecycle(PolicyStory(start=now - timedelta(hours=5)))  # same name, another cluster
    ingest(other.events[:2], cluster="c2")
    return {"k8s": k8s, "gnp": gnp, "cart": cart, "old": old, "other": other}


K8S_PAGE = "/policies/networkpolicies.networking.k8s.io/payments/allow-web/"
GNP_PAGE = "/policies/globalnetworkpolicies.projectcalico.org/-/security.block-metadata/"
K8S_API = "/api/v1/policies/networkpolicies.networking.k8s.io/payments/allow-web/changelog"
GNP_API = "/api/v1/policies/globalnetworkpolicies.projectcalico.org/-/security.block-metadata/changelog"
