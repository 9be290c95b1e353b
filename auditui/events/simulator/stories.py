"""Scripted episodes the random simulation never produces, for the demo.

Each one uses objects in a namespace of its own and a random stream of its own, so adding it to
a cluster's events changes nothing else the simulator makes (benchmarks keep their datasets).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from auditui.events.simulator import world as world_module
from auditui.events.simulator.context import REQUEST_RESPONSE, Sim
from auditui.events.simulator.objects import clone, object_path, object_ref
from auditui.events.simulator.policies import record_manager

GROUP, VERSION, RESOURCE = "networking.k8s.io", "v1", "networkpolicies"
PREVIEW_POLICIES = (
    ("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    ("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [
        {"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}),
    ("allow-frontend", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                            "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                            "ports": [{"protocol": "TCP", "port": 8080}]}]}),
)


def preview_cleanup(cluster: str, *, end: datetime, seed: int) -> list[dict]:
    """CI deploys a preview environment's network policies; two hours later someone removes
    them all at once, ``kubectl delete networkpolicies --all -n preview-…``: one
    ``deletecollection`` request, no object name, the deleted policies in its response. The
    changelog counts it as the delete of each (the random simulation only deletes one by one).
    """
    # The cluster's own people (same names and uids as in its simulation), a stream of our own.
    people = world_module.build(Random(f"{seed}:{cluster}"), cluster).people
    rng = Random(f"{seed}:{cluster}:preview-cleanup")
    start = end - timedelta(hours=3)
    sim = Sim(cluster, start, 3 * 3600.0, rng)
    namespace = f"preview-{rng.randrange(100, 1000)}"
    created = []
    for n, (name, spec) in enumerate(PREVIEW_POLICIES):
        sim.now = 120.0 + 7.0 * n
        manifest = _manifest(namespace, name, spec)
        stored = _stored(sim, manifest)
        uri = object_path(GROUP, VERSION, RESOURCE, namespace) + "?fieldManager=kubectl-client-side-apply"
        sim.write(sim.now, sim.event(sim.now, people["ci"], "create", uri, object_ref(
            RESOURCE, namespace, name, group=GROUP, version=VERSION), 201, level=REQUEST_RESPONSE,
            latency=sim.latency("create"), request=manifest, response=stored))
        created.append(stored)
    sim.now = 2 * 3600.0 + 600 * rng.random()
    listed = {"kind": "NetworkPolicyList", "apiVersion": f"{GROUP}/{VERSION}",
              "metadata": {"resourceVersion": sim.revision()}, "items": [clone(obj) for obj in created]}
    sim.write(sim.now, sim.event(
        sim.now, people["carol"], "deletecollection", object_path(GROUP, VERSION, RESOURCE, namespace),
        object_ref(RESOURCE, namespace, group=GROUP, version=VERSION), 200, level=REQUEST_RESPONSE,
        latency=sim.latency("deletecollection"), response=listed))
    return sim.out


def _manifest(namespace: str, name: str, spec: dict) -> dict:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "preview"}},
            "spec": clone(spec)}


def _stored(sim: Sim, manifest: dict) -> dict:
    """The object as the API server stores it: identity, version and who manages its fields."""
    stored = clone(manifest)
    when = sim.ts.seconds(sim.now)
    stored["metadata"].update(uid=sim.uid(), resourceVersion=sim.revision(), generation=1, creationTimestamp=when)
    record_manager(stored, "kubectl-client-side-apply", stored["apiVersion"], when)
    return stored
