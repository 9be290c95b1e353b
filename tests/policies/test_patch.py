"""Replaying patch bodies: JSON patch, JSON merge patch, strategic merge patch without a schema."""

from __future__ import annotations

import pytest

from auditui.policies.patch import PatchError, apply_patch

BASE = {
    "metadata": {"name": "web", "labels": {"app": "web", "team": "a"}, "resourceVersion": "10"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}]}, {"ports": [{"port": 443, "protocol": "TCP"}]}],
    },
}


def test_it_applies_a_json_merge_patch():
    patch = {"metadata": {"labels": {"team": None, "owner": "sre"}}, "spec": {"policyTypes": ["Egress"]}}
    result = apply_patch(BASE, patch)
    assert result["metadata"]["labels"] == {"app": "web", "owner": "sre"}
    assert result["spec"]["policyTypes"] == ["Egress"]
    assert result["spec"]["ingress"] == BASE["spec"]["ingress"]


def test_it_never_changes_the_previous_version():
    before = repr(BASE)
    apply_patch(BASE, {"spec": {"podSelector": {"matchLabels": {"app": "api"}}}})
    apply_patch(BASE, [{"op": "remove", "path": "/spec/ingress/0"}])
    assert repr(BASE) == before


def test_it_applies_a_json_patch_and_ignores_its_test_operations():
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "9"},  # stale: the server had 10
        {"op": "add", "path": "/spec/ingress/0/ports/-", "value": {"port": 8443, "protocol": "TCP"}},
        {"op": "remove", "path": "/spec/ingress/1"},
    ]
    result = apply_patch(BASE, ops)
    ports = [{"port": 80, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]
    assert result["spec"]["ingress"] == [{"ports": ports}]


def test_it_reports_a_json_patch_that_does_not_apply():
    with pytest.raises(PatchError, match="does not apply"):
        apply_patch(BASE, [{"op": "remove", "path": "/spec/egress/3"}])


def test_it_rejects_a_body_that_is_not_a_patch():
    with pytest.raises(PatchError):
        apply_patch(BASE, "spec: {}")


def test_it_handles_strategic_delete_and_replace_directives():
    result = apply_patch(BASE, {
        "metadata": {"labels": {"$patch": "replace", "app": "web2"}},
        "spec": {"podSelector": {"$patch": "delete"}},
    })
    assert result["metadata"]["labels"] == {"app": "web2"}
    assert "podSelector" not in result["spec"]


def test_it_deletes_list_elements_named_by_a_directive():
    base = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}
    patch = {"spec": {"containers": [{"$patch": "delete", "name": "a"}, {"name": "b", "image": "z"}]}}
    result = apply_patch(base, patch)
    assert result["spec"]["containers"] == [{"name": "b", "image": "z"}]


def test_it_deletes_from_primitive_lists_and_ignores_order_hints():
    result = apply_patch(BASE, {"spec": {
        "$deleteFromPrimitiveList/policyTypes": ["Ingress"],
        "$setElementOrder/ingress": [{"ports": []}],
    }})
    assert result["spec"]["policyTypes"] == []
    assert result["spec"]["ingress"] == BASE["spec"]["ingress"]


def test_it_keeps_only_retained_keys():
    result = apply_patch(BASE, {"spec": {"$retainKeys": ["podSelector", "policyTypes"], "policyTypes": ["Egress"]}})
    assert set(result["spec"]) == {"podSelector", "policyTypes"}


def test_it_replaces_lists_without_directives_like_a_merge_patch():
    result = apply_patch(BASE, {"spec": {"ingress": [{"ports": [{"port": 9090, "protocol": "TCP"}]}]}})
    assert result["spec"]["ingress"] == [{"ports": [{"port": 9090, "protocol": "TCP"}]}]


def _nested(levels: int, leaf: object = "bottom") -> object:
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def test_it_applies_patches_nested_300_levels_deep():
    from auditui.events.safe_json import TOO_DEEP

    merged = apply_patch(BASE, {"spec": {"deep": _nested(300)}})
    assert merged["spec"]["policyTypes"] == ["Ingress"] and TOO_DEEP in repr(merged["spec"]["deep"])
    patched = apply_patch({**BASE, "deep": _nested(300)}, [{"op": "replace", "path": "/spec/policyTypes",
                                                               "value": ["Egress"]}])
    assert patched["spec"]["policyTypes"] == ["Egress"]
