"""Pods as workload endpoints: service account, node, addresses, Envoy."""

from __future__ import annotations

from auditui.state.cluster import Entry
from auditui.state.endpoints import endpoint_of, envoy_enabled


def test_it_reads_node_addresses_and_service_account():
    endpoint = endpoint_of(Entry({
        "metadata": {"name": "web", "namespace": "payments", "labels": {"app": "web"}},
        "spec": {"serviceAccountName": "front", "nodeName": "node-1"},
        "status": {"podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}, {"ip": "fd00::5"}]},
    }))
    assert (endpoint.service_account, endpoint.node, endpoint.ips) == ("front", "node-1", ("10.1.0.5", "fd00::5"))
    assert endpoint.calico_labels["projectcalico.org/serviceaccount"] == "front"


def test_it_defaults_the_service_account_only_when_the_content_is_known():
    known = endpoint_of(Entry({"metadata": {"name": "a", "namespace": "x"}, "spec": {}}))
    unknown = endpoint_of(Entry({"metadata": {"name": "b", "namespace": "x"}}, known=False))
    assert (known.service_account, unknown.service_account) == ("default", "")
    assert "projectcalico.org/serviceaccount" not in unknown.calico_labels


def test_it_detects_istio_by_container_name_or_image():
    assert envoy_enabled({"spec": {"containers": [{"name": "istio-proxy", "image": "registry/proxy:1"}]}})
    assert envoy_enabled({"spec": {"initContainers": [{"name": "x", "image": "envoyproxy/envoy:v1.30"}]}})
    assert envoy_enabled({"spec": {"containers": [{"name": "sidecar", "image": "docker.io/istio/proxyv2:1.22"}]}})
    assert not envoy_enabled({"spec": {"containers": [{"name": "app", "image": "example/proxy:2"}]}})
