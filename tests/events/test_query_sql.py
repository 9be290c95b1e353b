"""The SQL compiler agrees with the Python matcher on the real sample events, on any backend."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditui.events.models import AuditEvent
from auditui.events.query import (
    And,
    Compare,
    Empty,
    InSet,
    Not,
    Or,
    Text,
    compile_q,
    escape,
    matches,
    parse,
    to_q,
)

pytestmark = pytest.mark.django_db

AGREEMENT_QUERIES = [
    "verb = create",
    'verb IN {"create", "update", "patch", "delete"} AND "objectRef.resource" = pods',
    "(verb=create OR verb=update OR verb=delete OR verb=patch) AND 'objectRef.resource'=clusterroles",
    'verb NOTIN {"get", "list", "watch"}',
    "verb != get",
    '"user.username" = "system:*"',
    'user.username IN {"system:node:*", "minikube-?ser"}',
    'user.groups = "system:masters"',
    'user.groups != "system:masters"',
    "user.groups = system:serviceaccounts:*",
    "user.groups EMPTY",
    "sourceIPs = ::1",
    'sourceIPs = "192.168.*"',
    "sourceIPs NOTIN {::1, 127.0.0.1}",
    "responseStatus.code >= 400",
    "responseStatus.code = 101 OR responseStatus.code = 201.0",
    "responseStatus.code < 200",
    "responseStatus.code != 200",
    "responseStatus.code = abc",
    "responseStatus.reason = Forbidden",
    "responseStatus.message = *forbidden*",
    "annotations.authorization.k8s.io/decision = allow",
    "annotations.authorization.k8s.io/decision EMPTY",
    "annotations.authorization.k8s.io/reason = *RBAC*",
    "annotations.pod-security.kubernetes.io/enforce-policy EMPTY",
    "impersonatedUser = bob",
    "impersonatedUser.groups = system:authenticated AND NOT impersonatedUser = bob",
    "impersonatedUser EMPTY",
    "requestObject.spec.containers.securityContext.privileged = true",
    "requestObject.spec.containers.securityContext.privileged != true",
    "requestObject.spec.hostNetwork = true OR requestObject.spec.volumes.hostPath.path = /etc",
    "requestObject.spec.containers.image = nginx*",
    'requestObject.rules.verbs = "*" OR requestObject.rules.resources = "*"',
    r'requestObject.rules.verbs = "\*" OR requestObject.rules.resources IN {"\*", "pods/\?"}',
    "requestObject.roleRef.name = cluster-admin",
    "requestObject.metadata.labels.kubernetes.io/bootstrapping = rbac-defaults",
    "requestObject.metadata.labels.app = nginx AND requestObject.metadata.labels.pod-template-hash > 3",
    "requestObject.data.ui.properties EMPTY AND objectRef.resource = configmaps",
    "requestObject.spec.containers.securityContext EMPTY",
    "requestObject EMPTY",
    "responseObject.kind = Pod",
    "responseObject.metadata.creationTimestamp >= 2018-10-26",
    "responseObject.spec.terminationGracePeriodSeconds >= 30",
    "responseObject.spec.terminationGracePeriodSeconds < 100.0 AND responseObject.spec.priority <= 0",
    "objectRef.namespace EMPTY",
    "objectRef.namespace = KUBE-*",
    "objectRef.name = nginx-deployment-*",
    "name IN {FOO, default}",
    "objectRef.subresource IN {exec, attach}",
    "objectRef.apiGroup = rbac.authorization.k8s.io",
    "stage = ResponseStarted OR level = Request",
    "time = 2018-10-25",
    "time >= 2023-01-01",
    'timestamp < "2018-10-26 00:00:00" AND requestReceivedTimestamp > 2017-12-31',
    "stageTimestamp = 2018-10-26T13:25:18Z",
    "stageTimestamp EMPTY",
    "cluster = audit2rbac AND NOT verb = list",
    "kind = Event AND apiVersion EMPTY",
    "metadata.creationTimestamp = 2017*",
    "kube-system",
    '"KUBECTL" OR "Minikube"',
    "NOT (default OR nginx)",
    "userAgent EMPTY",
    "requestURI > /apis",
]


def _sql_ids(node) -> set[int]:
    return set(AuditEvent.objects.filter(to_q(node)).values_list("pk", flat=True))


def _python_ids(node, rows) -> set[int]:
    return {row.pk for row in rows if matches(node, row.raw, cluster=row.cluster)}


@pytest.mark.parametrize("query", AGREEMENT_QUERIES)
def test_it_selects_the_rows_the_matcher_matches(stored_samples, query):
    node = parse(query)
    assert _sql_ids(node) == _python_ids(node, stored_samples)


def test_it_agrees_on_non_trivial_selections(stored_samples):
    trivial = []
    for query in AGREEMENT_QUERIES:
        count = len(_sql_ids(parse(query)))
        if count in (0, len(stored_samples)):
            trivial.append(query)
    # A query that selects nothing or everything proves little; keep them rare.
    assert trivial == ["user.groups EMPTY", "responseStatus.code = abc"]


def _ids(rows, audit_ids):
    return {row.pk for row in rows if row.audit_id in audit_ids}


def test_it_counts_what_was_counted_by_hand(stored_samples):
    def count(query: str) -> int:
        return AuditEvent.objects.filter(compile_q(query)).count()

    assert len(stored_samples) == 89
    assert count("verb = create") == 40
    assert count("responseStatus.code >= 400") == 11
    assert count('"user.groups" = "system:masters"') == 77
    assert count("impersonatedUser = bob AND responseStatus.code = 403") == 4
    assert count("time = 2018-10-25") == 7
    assert count("time >= 2023-01-01") == 3
    assert count("requestObject.metadata.labels.kubernetes.io/bootstrapping = rbac-defaults") == 7
    assert count('requestObject.rules.verbs = "*"') == 6  # every role with rules: * is a wildcard
    assert count(r'requestObject.rules.verbs = "\*"') == 1  # the literal "*" verb
    assert count("objectRef.namespace = NS1") == 4
    # Numbers deep in the raw JSON compare as numbers on SQLite too (30 < 100.0, not "30" > "100.0").
    assert count("responseObject.spec.terminationGracePeriodSeconds < 100.0") == 11
    assert count("cluster = audit2rbac") == 37


def test_it_finds_the_privileged_pods_and_exec_sessions(stored_samples):
    privileged = parse("requestObject.spec.containers.securityContext.privileged = true")
    assert _sql_ids(privileged) == _ids(
        stored_samples,
        {
            "9ac5187c-29a2-4bf8-ba6e-21dc887f5d34",
            "f83ecd50-5bf4-4fe7-a419-dea22852ca49",
            "a362d22b-db3c-4590-9505-23782f12925f",
        },
    )
    execs = AuditEvent.objects.filter(compile_q("objectRef.subresource = exec"))
    assert sorted(execs.values_list("audit_id", "stage")) == [
        ("57a794de-44d3-40ee-a0ad-c0eb096eef6c", "ResponseComplete"),
        ("ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", "ResponseStarted"),
    ]
    anonymous = AuditEvent.objects.filter(compile_q('"user.username" = "system:anonymous"'))
    assert list(anonymous.values_list("audit_id", flat=True)) == ["841d3e6d-90d2-43df-8da4-684738bee3d5"]


def test_it_expands_substitutions(stored_samples):
    q = compile_q("impersonatedUser IN ${users} AND responseStatus.code = 403", {"users": ["bob", "alice"]})
    assert AuditEvent.objects.filter(q).count() == len(
        [r for r in stored_samples if r.impersonated_user in ("bob", "alice") and r.response_code == 403]
    )


@pytest.mark.parametrize(
    "payload",
    ["x' OR '1'='1", 'x" OR 1=1 --', "x%' OR 1=1; DROP TABLE events_auditevent; --", "a\\'b"],
)
def test_it_binds_user_input_as_parameters(stored_samples, payload):
    value = escape(payload)
    for node in (
        Compare("verb", "=", value),
        Compare("verb", "<", value),
        Compare(payload, "=", value),
        InSet("user.groups", (value, value + "*")),
        Empty(payload),
        Text(value),
        Compare("requestObject.spec." + payload, ">=", value),
    ):
        sql, params = AuditEvent.objects.filter(to_q(node)).query.sql_with_params()
        assert payload not in sql
        list(AuditEvent.objects.filter(to_q(node)))  # runs without a syntax error
    assert AuditEvent.objects.count() == len(stored_samples)


def test_it_combines_with_other_filters_and_negations(stored_samples):
    q = to_q(parse("verb = create")) & ~to_q(parse("objectRef.namespace EMPTY"))
    expected = {r.pk for r in stored_samples if r.verb == "create" and r.namespace}
    assert set(AuditEvent.objects.filter(q).values_list("pk", flat=True)) == expected
    excluded = AuditEvent.objects.exclude(to_q(parse("requestObject.spec.containers.securityContext EMPTY")))
    assert excluded.count() == len(
        _python_ids(parse("NOT requestObject.spec.containers.securityContext EMPTY"), stored_samples)
    )


# --- random queries over the sample vocabulary --------------------------------------------

_VOCABULARY = {
    "verb": ["create", "get", "list", "delete", "patch", "c*", "?et", "zzz"],
    "objectRef.resource": ["pods", "configmaps", "secrets", "*s", "leases"],
    "objectRef.namespace": ["default", "KUBE-SYSTEM", "ns1", "kube-*", ""],
    "name": ["foo", "nginx*", "Default"],
    "user.username": ["system:admin", "minikube-user", "system:*", "admin"],
    "user.groups": ["system:masters", "system:authenticated", "system:serviceaccounts*"],
    "impersonatedUser": ["bob", "alice", "system:serviceaccount:ns1:sa1"],
    "sourceIPs": ["::1", "192.168.99.1", "127.0.0.1", "192.*"],
    "responseStatus.code": ["200", "201", "403", "101", "400", "2*", "abc"],
    "annotations.authorization.k8s.io/decision": ["allow", "forbid", "a*"],
    "time": ["2018-10-25", "2018-10-26T00:00:00Z", "2017-09-11 19:58:00", "2023-05-17T08:00:00+02:00"],
    "stageTimestamp": ["2018-10-26", "2020-04-21"],
    "stage": ["ResponseComplete", "ResponseStarted"],
    "level": ["Metadata", "Request", "RequestResponse"],
    "cluster": ["audit2rbac", "falco-trace-files", "crowdsec-hub"],
    "requestObject.spec.containers.securityContext.privileged": ["true", "false", "1"],
    "requestObject.spec.containers.image": ["nginx", "busybox*", "nginx:*"],
    "requestObject.metadata.labels.app": ["nginx", "demo", "n*"],
    "requestObject.rules.verbs": ["*", "get", "list"],
    "responseObject.spec.terminationGracePeriodSeconds": ["30", "29.5", "1e2", "100.0", "-1"],
    "responseObject.spec.priority": ["0", "0.0", "1"],
    "responseObject.metadata.resourceVersion": ["237252", "2*", "9"],
    "requestObject.spec.replicas": ["1", "2.0", "true"],
    "responseObject.metadata.creationTimestamp": ["2018-10-26", "2018*"],
    "responseStatus.reason": ["Forbidden", "*"],
    "requestObject": ["x"],
    "requestURI": ["/api", "/api/v1/*", "/apis/*"],
}
_keys = st.sampled_from(sorted(_VOCABULARY))


@st.composite
def _leaf(draw):
    key = draw(_keys)
    values = st.sampled_from(_VOCABULARY[key])
    kind = draw(st.sampled_from(["compare", "set", "empty", "text"]))
    if kind == "compare":
        return Compare(key, draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="])), draw(values))
    if kind == "set":
        return InSet(key, tuple(draw(st.lists(values, max_size=3))), draw(st.booleans()))
    if kind == "empty":
        return Empty(key)
    return Text(draw(st.sampled_from(["kube", "NGINX", "system:", "get", "a?min", "/api/v1/*pods"])))


_queries = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(And, st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(children, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(node=_queries)
def test_it_agrees_with_the_matcher_on_random_queries(stored_samples, node):
    assert _sql_ids(node) == _python_ids(node, stored_samples)


def test_it_runs_on_the_configured_backend():
    # The suite is meant for both; CI runs it with DATABASE_URL pointing at PostgreSQL too.
    assert connection.vendor in ("sqlite", "postgresql")


def _crafted_event(number: int, **fields) -> dict:
    return {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": f"crafted-{number}",
        "stage": "ResponseComplete",
        "verb": "get",
        "requestReceivedTimestamp": f"2026-11-20T12:00:0{number}.000001Z",
        **fields,
    }


CRAFTED = [
    _crafted_event(
        0, user={"username": "x[1]%_y\\z"}, requestObject={"a.b": {"c": "dotted"}, "n": [[1, 2], []]}
    ),
    _crafted_event(
        1, user={"username": "Ünïcode ÄB"}, requestObject={"a": {"b": {"c": "nested"}}, "n": [3.5]}
    ),
    _crafted_event(2, userAgent="KUBECTL/1", requestObject={"flag": True, "s": "10", "v": None, "e": ""}),
    _crafted_event(
        3, objectRef={"resource": "pods", "name": "*"}, requestObject={"flag": False, "s": 9, "l": ["", None]}
    ),
    _crafted_event(
        4, sourceIPs=[], annotations={"a.b/c": "1", "a": {"b/c": "2"}}, responseStatus={"code": 500}
    ),
]
CRAFTED_QUERIES = [
    r'user.username = "x[1]%_y\\z"',
    r'user.username = "x[1]*"',
    'user.username = "x?1]%_y*"',
    "user.username = *_*",
    "user.username = *%*",
    'user.username > "x["',
    '"Ünïcode" OR "äb"',
    '"ünïcode"',
    "kubectl",
    "requestObject.a.b.c = dotted",
    "requestObject.a.b.c IN {nested, dotted}",
    "requestObject.a.b.c != nested",
    "requestObject.n = 2 OR requestObject.n >= 3.5",
    "requestObject.n EMPTY",
    "requestObject.flag = true",
    "requestObject.flag != false",
    "requestObject.s = 10",
    "requestObject.s < 10",
    "requestObject.s > 8.5",
    "requestObject.v EMPTY AND requestObject.e EMPTY",
    "requestObject.l EMPTY",
    "requestObject.missing NOTIN {x}",
    r'objectRef.name = "\*"',
    "objectRef.name = *",
    "annotations.a.b/c = 1 OR annotations.a.b/c = 2",
    "annotations.a.b/c > 1",
    "sourceIPs EMPTY",
    "responseStatus.code >= 500 AND NOT responseStatus.code = 5*",
    "time = 2026-11-20T12:00:03.000001Z",
    "time < 2026-11-20T12:00:03Z OR time > 2026-11-20T12:00:03.5Z",
]


@pytest.fixture
def crafted_rows(db):
    from auditui.events.normalize import normalize_event

    fields = [f.name for f in AuditEvent._meta.concrete_fields if f.name not in ("id", "ingested_at")]
    records = [normalize_event(e, cluster="lab") for e in CRAFTED]
    return AuditEvent.objects.bulk_create([AuditEvent(**{n: getattr(r, n) for n in fields}) for r in records])


@pytest.mark.parametrize("query", CRAFTED_QUERIES)
def test_it_agrees_on_crafted_edge_cases(crafted_rows, query):
    node = parse(query)
    assert _sql_ids(node) == _python_ids(node, crafted_rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (r'user.username = "x[1]%_y\\z"', {0}),  # LIKE/GLOB specials and a backslash, literally
        ("user.username = *_*", {0}),
        ('"ünïcode"', set()),  # free text folds ASCII letters only
        ("kubectl", {2}),
        ("requestObject.a.b.c = dotted", {0}),
        ("requestObject.a.b.c = nested", {1}),
        ("requestObject.n = 2 OR requestObject.n >= 3.5", {0, 1}),  # nested lists are looked through
        ("requestObject.s > 8.5", {3}),  # 9 > 8.5; the string "10" is not a number
        (r'objectRef.name = "\*"', {3}),
        ("annotations.a.b/c = 1 OR annotations.a.b/c = 2", {4}),
        ("time = 2026-11-20T12:00:03.000001Z", {3}),
    ],
)
def test_it_selects_the_expected_crafted_rows(crafted_rows, query, expected):
    found = AuditEvent.objects.filter(compile_q(query)).values_list("audit_id", flat=True)
    assert set(found) == {f"crafted-{n}" for n in expected}


def test_it_prefilters_raw_paths_with_substrings_every_match_contains():
    from auditui.events.query.sql import to_q  # noqa: F401 - the compiler that uses the needles
    from auditui.events.query.sql_expressions import LeafTest, raw_text_needles
    from auditui.events.query.values import read_value

    assert raw_text_needles("requestObject.spec.ports.port", LeafTest("=", read_value("8443"))) == [
        "requestObject", "spec", "ports", "port", "8443"]
    assert raw_text_needles("requestObject.metadata.name", LeafTest("=", read_value("web-1")))[-1] == "web-1"
    # Wildcards, order comparisons and text JSON would escape give no value needle.
    assert "web*" not in raw_text_needles("a.b", LeafTest("=", read_value("web*")))
    assert raw_text_needles("a.b", LeafTest(">", read_value("x"))) == ["a", "b"]
    assert raw_text_needles("a.b", LeafTest("=", read_value('"quo\\"ted"'))) == ["a", "b"]
