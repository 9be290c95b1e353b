"""The structural diff: changed paths, readable values, noise."""

from __future__ import annotations

from auditui.policies.diff import LAST_APPLIED, diff, path_text, readable, without_noise

OLD = {
    "metadata": {"name": "web", "resourceVersion": "1", "generation": 1, "managedFields": [{"manager": "a"}],
                 "annotations": {LAST_APPLIED: "{}"}},
    "spec": {"ingress": [{"ports": [{"protocol": "TCP", "port": 80}]}, {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
             "order": 100},
}


def _new(**changes):
    import copy

    new = copy.deepcopy(OLD)
    new["metadata"].update(resourceVersion="2", generation=2, managedFields=[{"manager": "b"}],
                           annotations={LAST_APPLIED: '{"x":1}'})
    for key, value in changes.items():
        new["spec"][key] = value
    return new


def test_it_lists_changed_paths_without_noise():
    new = _new(order=110)
    new["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": 8443})
    lines = [(c.path_text, c.op, readable(c.old), readable(c.new)) for c in diff(OLD, new)]
    assert lines == [
        ("spec.ingress[0].ports[1]", "added", "null", "8443/TCP"),
        ("spec.order", "changed", "100", "110"),
    ]


def test_it_shows_noise_when_asked():
    paths = {c.path_text for c in diff(OLD, _new(), noise=True)}
    assert paths == {"metadata.resourceVersion", "metadata.generation", "metadata.managedFields[0].manager",
                     f'metadata.annotations["{LAST_APPLIED}"]'}
    assert diff(OLD, _new()) == []


def test_it_reads_an_inserted_list_element_as_one_addition():
    new = _new()
    new["spec"]["ingress"].insert(0, {"from": [{"podSelector": {}}]})
    changes = diff(OLD, new)
    assert [(c.path_text, c.op) for c in changes] == [("spec.ingress[0]", "added")]
    assert readable(changes[0].new) == "{from: [{podSelector: {}}]}"


def test_it_reads_a_removed_element_as_one_removal():
    new = _new()
    del new["spec"]["ingress"][0]
    assert [(c.path_text, c.op) for c in diff(OLD, new)] == [("spec.ingress[0]", "removed")]


def test_it_diffs_creation_and_deletion_against_nothing():
    assert {c.path_text for c in diff(None, OLD)} == {"metadata", "spec"}
    assert {c.op for c in diff(OLD, None)} == {"removed"}


def test_it_writes_paths_like_kubectl_jsonpath():
    assert path_text(("metadata", "annotations", "a.b/c")) == 'metadata.annotations["a.b/c"]'
    assert path_text(("spec", "egress", 2, "to")) == "spec.egress[2].to"


def test_it_makes_values_readable():
    assert readable([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]) == "53/UDP, 53/TCP"
    assert readable({"port": 8000, "endPort": 8100, "protocol": "TCP"}) == "8000-8100/TCP"
    assert readable(True) == "true"
    assert readable("x" * 500).endswith("…")


def test_it_strips_noise_from_an_object():
    clean = without_noise(OLD)
    assert clean["metadata"] == {"name": "web"}
    assert OLD["metadata"]["resourceVersion"] == "1"


def _nested(levels: int, leaf: object = "bottom") -> object:
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def test_it_diffs_versions_nested_300_levels_with_a_marker_for_the_deep_part():
    from auditui.events.safe_json import TOO_DEEP, dumps

    old = {"spec": {"order": 1, "deep": _nested(300), "rules": [_nested(300)]}}
    new = {"spec": {"order": 2, "deep": _nested(300, "changed"), "rules": [_nested(300), _nested(300, "new")]}}
    changes = {c.path_text: c for c in diff(old, new)}
    assert changes["spec.order"].new == 2 and changes["spec.rules[1]"].op == "added"
    assert TOO_DEEP in dumps(changes["spec.rules[1]"].new).decode()  # the cut part is said, not lost silently
    # A change only below the bound is not seen: the changelog's note says so (test_history).
    assert "spec.deep" not in changes


def test_it_compares_lists_of_values_orjson_refuses():
    old = {"spec": {"ports": [2**70, 10**5000]}}
    new = {"spec": {"ports": [2**70, 10**5000, 1]}}
    assert [(c.path_text, c.op, c.new) for c in diff(old, new)] == [("spec.ports[2]", "added", 1)]
    assert "digits, not shown" in readable(10**5000)
