"""The Python matcher: paths, lists, aliases, types, wildcards, EMPTY, negation and free text."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from auditui.events.query import QueryError, matches, parse
from auditui.events.query.nodes import Compare

POD_CREATE: dict[str, Any] = {
    "kind": "Event",
    "apiVersion": "audit.k8s.io/v1",
    "level": "RequestResponse",
    "auditID": "5e7a3b2c-0000-4000-8000-000000000001",
    "stage": "ResponseComplete",
    "requestURI": "/api/v1/namespaces/payments/pods",
    "verb": "create",
    "user": {"username": "alice@example.com", "groups": ["devs", "system:authenticated"]},
    "impersonatedUser": {"username": "bob", "groups": ["system:authenticated"]},
    "sourceIPs": ["10.0.0.1", "192.168.1.7"],
    "userAgent": "kubectl/v1.30.1 (linux/amd64)",
    "objectRef": {"resource": "pods", "namespace": "payments", "name": "web-1", "apiVersion": "v1"},
    "responseStatus": {"metadata": {}, "code": 201},
    "requestObject": {
        "kind": "Pod",
        "metadata": {"labels": {"app": "web", "app.kubernetes.io/name": "shop"}},
        "spec": {
            "hostNetwork": False,
            "containers": [
                {"name": "app", "image": "shop:1.2", "securityContext": {"privileged": False}},
                {"name": "sidecar", "image": "[envoy]:1", "securityContext": {"privileged": True}},
            ],
            "tolerations": [],
            "nodeSelector": None,
            "priority": 10,
        },
    },
    "requestReceivedTimestamp": "2026-11-20T12:00:00.250000Z",
    "stageTimestamp": "2026-11-20T12:00:01.000000Z",
    "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
}


def event(**changes: Any) -> dict[str, Any]:
    """The pod-create event with top-level fields replaced (None deletes a field)."""
    result = copy.deepcopy(POD_CREATE)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def hit(query: str, evt: dict | None = None, cluster: str = "prod") -> bool:
    return matches(parse(query), POD_CREATE if evt is None else evt, cluster=cluster)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("verb = create", True),
        ("verb = Create", False),
        ('"objectRef.resource" = pods', True),
        ("'objectRef.resource' = pods AND verb = create", True),
        ("user.username = alice@example.com", True),
        ("requestObject.kind = Pod", True),
        ("requestObject.metadata.labels.app = web", True),
        ("kind = Event", True),
        ("apiVersion = audit.k8s.io/v1", True),
    ],
)
def test_it_follows_dotted_paths(query, expected):
    assert hit(query) is expected


def test_it_matches_a_path_through_a_list_when_any_element_matches():
    assert hit("requestObject.spec.containers.securityContext.privileged = true")
    assert hit("requestObject.spec.containers.name = sidecar")
    assert not hit("requestObject.spec.containers.name = db")
    assert hit("sourceIPs = 10.0.0.1") and hit("sourceIPs = 192.168.1.7")
    assert hit('user.groups = "system:authenticated"')
    assert hit("impersonatedUser.groups = system:authenticated")


def test_it_finds_dict_keys_that_contain_dots_and_slashes():
    assert hit("annotations.authorization.k8s.io/decision = allow")
    assert hit("requestObject.metadata.labels.app.kubernetes.io/name = shop")
    assert not hit("requestObject.metadata.labels.app.kubernetes = shop")


def test_it_tries_every_split_of_a_dotted_key():
    evt = event(extra={"a.b": {"c": "dotted"}, "a": {"b": {"c": "nested"}}})
    assert hit("extra.a.b.c = dotted", evt) and hit("extra.a.b.c = nested", evt)


def test_it_compares_numbers_numerically_and_strings_by_code_point():
    assert hit("responseStatus.code >= 200") and hit("responseStatus.code < 300")
    assert hit("responseStatus.code = 201.0") and not hit("responseStatus.code = 201.5")
    assert hit("requestObject.spec.priority > 9")  # 10 > 9 as numbers
    assert not hit("requestObject.spec.priority = ten")
    assert hit("verb > crea") and hit("verb < delete") and not hit("verb < Create")  # "c" > "C"
    assert not hit("responseStatus.code = 2*")  # wildcards only match strings


def test_it_reads_a_numeric_string_in_the_event_as_a_string():
    evt = event(objectRef={"resource": "pods", "name": "10"})
    assert hit("objectRef.name = 10", evt)
    assert not hit("objectRef.name > 9", evt)  # "10" < "9" as strings


def test_it_matches_booleans_only_with_true_and_false():
    assert hit("requestObject.spec.hostNetwork = false")
    assert not hit("requestObject.spec.hostNetwork = true")
    assert hit("requestObject.spec.hostNetwork != true")
    assert not hit("requestObject.spec.hostNetwork = 0")
    assert not hit("requestObject.spec.hostNetwork > false")
    assert not hit('requestObject.spec.hostNetwork = "False"')


def test_it_matches_wildcards_in_equality_and_sets():
    assert hit('"user.username" = "alice@*"')
    assert hit("verb = cr?ate") and not hit("verb = cr?")
    assert hit('verb IN {"get", "cre*"}') and not hit('verb NOTIN {"get", "cre*"}')
    assert hit("requestObject.spec.containers.image = [envoy]*")  # [ is literal, not a class
    assert hit("userAgent = *linux*") and not hit("userAgent = *LINUX*")
    assert hit('verb < "d*"') and not hit('verb > "d*"')  # ordering compares the literal text


def test_it_lower_cases_values_for_object_names_and_namespaces_only():
    assert hit("objectRef.name = WEB-1") and hit("name = Web-*")
    assert hit("objectRef.namespace IN {PAYMENTS}")
    assert not hit("objectRef.resource = PODS")
    assert not hit("user.username = Alice@example.com")


def test_it_reads_the_aliases():
    assert hit("impersonatedUser = bob") and hit("impersonatedUser.username = bob")
    assert hit("name = web-1")
    assert hit("cluster = prod") and not hit("cluster = staging")
    assert (
        hit("time = 2026-11-20")
        and hit("timestamp = 2026-11-20")
        and hit("requestReceivedTimestamp = 2026-11-20")
    )


def test_it_treats_a_missing_key_as_not_equal_and_not_ordered():
    assert hit("objectRef.subresource != exec")
    assert hit("nothing.here != x")
    assert hit("nothing.here NOTIN {x, y}")
    assert not hit("nothing.here = x")
    assert not hit("nothing.here < zzz") and not hit("nothing.here >= 0")
    assert not hit("responseStatus.code < 500", event(responseStatus=None))
    assert hit("responseStatus.code != 500", event(responseStatus=None))


def test_it_negates_a_list_as_none_of_its_elements():
    assert not hit("sourceIPs != 10.0.0.1")
    assert hit("sourceIPs != 10.9.9.9")
    assert not hit('user.groups NOTIN {"devs"}')


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("objectRef.subresource EMPTY", True),  # missing
        ("requestObject.spec.nodeSelector EMPTY", True),  # null
        ("annotations.authorization.k8s.io/reason EMPTY", True),  # ""
        ("requestObject.spec.tolerations EMPTY", True),  # []
        ("missing.entirely EMPTY", True),
        ("objectRef.name EMPTY", False),
        ("requestObject.spec.hostNetwork EMPTY", False),  # false is a value
        ("requestObject.spec EMPTY", False),  # an object is a value
        ("requestObject.spec.containers.securityContext EMPTY", False),
        ("sourceIPs EMPTY", False),
        ("responseStatus.code EMPTY", False),
        ("stageTimestamp EMPTY", False),
        ("impersonatedUser EMPTY", False),
    ],
)
def test_it_reads_empty_as_missing_null_empty_string_or_empty_list(query, expected):
    assert hit(query) is expected


def test_it_reads_empty_on_indexed_keys_of_a_sparse_event():
    sparse = event(impersonatedUser=None, sourceIPs=[], responseStatus=None, stageTimestamp=None)
    for key in ("impersonatedUser", "sourceIPs", "responseStatus.code", "stageTimestamp"):
        assert hit(f"{key} EMPTY", sparse), key


def test_it_compares_times_over_the_precision_of_the_value():
    assert hit("time = 2026-11-20") and not hit("time = 2026-11-21")
    assert hit('time = "2026-11-20 12:00:00"') and hit("time = 2026-11-20T12:00:00.2Z")
    assert not hit("time = 2026-11-20T12:00:00.3Z")
    assert hit("time = 2026-11-20T14:00:00+02:00")
    assert hit("time > 2026-11-19") and not hit("time > 2026-11-20") and hit("time >= 2026-11-20")
    assert hit("time <= 2026-11-20") and not hit("time < 2026-11-20")
    assert hit("stageTimestamp = 2026-11-20T12:00:01Z") and not hit("stageTimestamp = 2026-11-20T12:00:00Z")


def test_it_takes_the_event_time_from_the_first_timestamp_present():
    old = event(requestReceivedTimestamp=None, stageTimestamp=None, timestamp="2017-09-11T19:55:05Z")
    assert hit("time = 2017-09-11", old)
    staged = event(requestReceivedTimestamp=None)
    assert hit('time = "2026-11-20 12:00:01"', staged)


def test_it_searches_free_text_in_the_main_fields_ignoring_case():
    for term in [
        "payments",
        "PAYMENTS",
        "web-1",
        "Alice@",
        "kubectl/v1.30",
        "create",
        "POD",
        '"api/v1/name"',
    ]:
        assert hit(term), term
    assert hit("web-?") and hit("ali*example")
    assert not hit("sidecar")  # requestObject is not searched
    assert not hit("bob")  # nor the impersonated user
    assert hit("sidecar OR payments") and not hit("NOT payments")


def test_it_combines_with_and_or_not():
    assert hit("verb = create AND (objectRef.resource = secrets OR objectRef.resource = pods)")
    assert not hit("verb = create AND NOT objectRef.resource = pods")
    assert hit("NOT (verb = get OR verb = list)")


def test_it_evaluates_substituted_sets():
    assert matches(parse("verb IN ${writes}", {"writes": ["create", "patch"]}), POD_CREATE)
    assert not matches(parse("user.username = ${robots}", {"robots": ["system:*"]}), POD_CREATE)


def test_it_does_not_fail_on_records_that_are_not_audit_events():
    assert not matches(parse("verb = get"), {"kind": 0})
    assert matches(parse("verb EMPTY AND time EMPTY"), {"kind": 0})
    assert matches(parse("verb = get AND payments"), {"verb": "get", "objectRef": {"namespace": "payments"}})
    assert not matches(parse("a.b = c"), {"a": "not a dict"})


def test_it_uses_a_record_it_is_given():
    from auditui.events.normalize import normalize_event

    record = normalize_event(POD_CREATE, cluster="prod")
    assert matches(parse("cluster = prod AND verb = create"), POD_CREATE, cluster="ignored", record=record)


def test_it_rejects_a_hand_built_node_with_a_bad_time():
    with pytest.raises(QueryError, match="is not a time"):
        matches(Compare("time", "=", "noon"), POD_CREATE)


def test_it_agrees_with_hand_counts_on_the_sample_events(audit_samples):
    def count(query: str) -> int:
        node = parse(query)
        return sum(matches(node, evt, cluster=cluster) for cluster, evt in audit_samples)

    assert len(audit_samples) == 89
    assert count("verb = create") == 40
    assert count("responseStatus.code >= 400") == 11
    assert count('"user.groups" = "system:masters"') == 77
    assert count("impersonatedUser = bob AND responseStatus.code = 403") == 4
    assert count("time = 2018-10-25") == 7
    assert count("requestObject.spec.containers.securityContext.privileged = true") == 3
    assert count("requestObject.metadata.labels.kubernetes.io/bootstrapping = rbac-defaults") == 7
    assert count("cluster = audit2rbac") == 37
