"""What each template of the detection pack must flag: the real captured events of
testdata/k8s-audit/ (each sample file in a cluster of its own), and hand-built events for what no
public capture shows. Read by tests/alerts/test_detections.py."""

from __future__ import annotations

from typing import Any

# Sample file (path under testdata/k8s-audit/) → the templates that must flag its events. Every
# other sample file must stay quiet under the whole pack.
FLAGGED_FILES: dict[str, set[str]] = {
    "falco-trace-files/anonymous_creates_namespace_foo.json": {"k8s.anonymous-request"},
    "falco-trace-files/attach_cluster_admin_role.json": {"k8s.cluster-admin-binding"},
    "falco-trace-files/attach_pod.json": {"k8s.pod-exec"},
    "falco-trace-files/exec_pod.json": {"k8s.pod-exec"},
    "crowdsec-hub/k8s-audit-pod-exec-file.log": {"k8s.pod-exec"},
    "falco-trace-files/create_configmap_sensitive_values.json": {"k8s.configmap-credentials"},
    "falco-trace-files/create_cluster_role_wildcard_resources.json": {"k8s.wildcard-role"},
    "falco-trace-files/create_cluster_role_wildcard_verbs.json": {"k8s.wildcard-role"},
    "falco-trace-files/create_nginx_pod_hostnetwork.json": {"k8s.host-namespaces"},
    "falco-trace-files/create_nginx_pod_privileged.json": {"k8s.privileged-container"},
    "falco-trace-files/create_nginx_pod_privileged_2nd_container.json": {"k8s.privileged-container"},
    "falco-trace-files/create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json":
        {"k8s.privileged-container"},
    "crowdsec-hub/k8s-audit-priv-pod-file.log": {"k8s.privileged-container"},
    "falco-trace-files/create_nginx_pod_sensitive_mount.json": {"k8s.sensitive-hostpath"},
    "falco-trace-files/create_nginx_pod_sensitive_mount_2nd_container.json": {"k8s.sensitive-hostpath"},
    "falco-trace-files/create_pod_kube_public_namespace.json": {"k8s.system-namespace-workload"},
    "falco-trace-files/create_pod_kube_system_namespace.json": {"k8s.system-namespace-workload"},
    "falco-trace-files/create_serviceaccount_kube_public_namespace.json": {"k8s.system-namespace-workload"},
    "falco-trace-files/create_serviceaccount_kube_system_namespace.json": {"k8s.system-namespace-workload"},
    "falco-trace-files/delete_cluster_role_kube_aggregator.json": {"k8s.system-clusterrole-changed"},
    "falco-trace-files/modify_cluster_role_node_problem_detector.json": {"k8s.system-clusterrole-changed"},
    "falco-trace-files/create_nginx_service_nodeport.json": {"k8s.exposed-service"},
    "falco-trace-files/delete_namespace_foo.json": {"k8s.namespace-deleted"},
    "audit2rbac/demo.log": {"k8s.repeated-forbidden"},
}

# Template → (files whose events it must flag, their benign counterparts that must stay quiet).
# A file's events are all expected unless EXACT_IDS narrows them.
REAL: dict[str, tuple[list[str], list[str]]] = {
    "k8s.pod-exec": (["falco-trace-files/exec_pod.json", "falco-trace-files/attach_pod.json",
                      "crowdsec-hub/k8s-audit-pod-exec-file.log"],
                     ["falco-trace-files/create_nginx_pod_unprivileged.json"]),
    "k8s.privileged-container": (
        ["falco-trace-files/create_nginx_pod_privileged.json",
         "falco-trace-files/create_nginx_pod_privileged_2nd_container.json",
         "crowdsec-hub/k8s-audit-priv-pod-file.log"],
        ["falco-trace-files/create_nginx_pod_unprivileged.json", "falco-trace-files/create_deployment.json"]),
    "k8s.host-namespaces": (["falco-trace-files/create_nginx_pod_hostnetwork.json"],
                            ["falco-trace-files/create_nginx_pod_nohostnetwork.json"]),
    "k8s.sensitive-hostpath": (["falco-trace-files/create_nginx_pod_sensitive_mount.json",
                                "falco-trace-files/create_nginx_pod_sensitive_mount_2nd_container.json"],
                               ["falco-trace-files/create_nginx_pod_unsensitive_mount.json",
                                "falco-trace-files/create_nginx_pod_unprivileged.json"]),
    "k8s.system-namespace-workload": (
        ["falco-trace-files/create_pod_kube_system_namespace.json",
         "falco-trace-files/create_pod_kube_public_namespace.json",
         "falco-trace-files/create_serviceaccount_kube_system_namespace.json",
         "falco-trace-files/create_serviceaccount_kube_public_namespace.json"],
        ["falco-trace-files/create_serviceaccount.json", "falco-trace-files/create_nginx_pod_unprivileged.json",
         "falco-trace-files/create_kube_system_secret.json"]),
    "k8s.cluster-admin-binding": (["falco-trace-files/attach_cluster_admin_role.json"],
                                  ["falco-trace-files/create_clusterrolebinding.json"]),
    "k8s.wildcard-role": (["falco-trace-files/create_cluster_role_wildcard_verbs.json",
                           "falco-trace-files/create_cluster_role_wildcard_resources.json"],
                          ["falco-trace-files/create_clusterrole.json",
                           "falco-trace-files/create_cluster_role_pod_exec.json",
                           "falco-trace-files/create_cluster_role_write_privileges.json"]),
    "k8s.system-clusterrole-changed": (["falco-trace-files/delete_cluster_role_kube_aggregator.json",
                                        "falco-trace-files/modify_cluster_role_node_problem_detector.json"],
                                       ["falco-trace-files/delete_clusterrole.json",
                                        "falco-trace-files/create_clusterrole.json"]),
    "k8s.anonymous-request": (["falco-trace-files/anonymous_creates_namespace_foo.json"],
                              ["falco-trace-files/some-user_creates_namespace_foo.json",
                               "falco-trace-files/minikube_creates_namespace_foo.json"]),
    "k8s.exposed-service": (["falco-trace-files/create_nginx_service_nodeport.json"],
                            ["falco-trace-files/create_nginx_service_nonodeport.json",
                             "falco-trace-files/create_service.json"]),
    "k8s.namespace-deleted": (["falco-trace-files/delete_namespace_foo.json"],
                              ["falco-trace-files/minikube_creates_namespace_foo.json",
                               "falco-trace-files/delete_service.json"]),
    "k8s.repeated-forbidden": (["audit2rbac/demo.log"], []),
    "k8s.impersonation": ([], ["audit2rbac/demo.log"]),  # system:admin impersonates: a system user
    "k8s.secret-read": ([], ["falco-trace-files/create_secret.json", "falco-trace-files/delete_secret.json",
                             "audit2rbac/demo.log"]),  # demo.log's list secrets was refused (403)
    "k8s.service-account-token": ([], ["falco-trace-files/create_service_account_token_secret.json"]),
    # Six ConfigMaps whose access.properties value holds aws_secret_access_key (and key ids,
    # passwords, passphrases); the benign ones hold only ui.properties colours.
    "k8s.configmap-credentials": (["falco-trace-files/create_configmap_sensitive_values.json"],
                                  ["falco-trace-files/create_configmap.json",
                                   "falco-trace-files/create_configmap_no_sensitive_values.json"]),
}

# The 403s of demo.log inside one 10-minute lookback (seven, 19:55–20:02); the four later ones
# (20:27–20:29) are too few to fire.
EXACT_IDS = {
    ("k8s.repeated-forbidden", "audit2rbac/demo.log"): {
        "033d17af-082d-4b24-aa22-627752e83d71", "d857fef6-5a24-4889-9597-ffbcb6108444",
        "0c0d86ba-4cbd-4e35-ba05-25df8e630bcb", "60006562-ced6-4178-ac95-e1a50225b012",
        "d7cd2b04-940b-42cb-ad2a-b4b8f937aa0e", "25de0e17-3586-40d9-bbba-e7c3334b9cdf",
        "524c5a19-63b0-4af8-acc7-bf75fdad18dc",
    },
}


def _pod(privileged: bool = False, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx"}
    if privileged:
        container["securityContext"] = {"privileged": True}
    return {"containers": [{"name": "sidecar", "image": "busybox"}, container], **spec}


def _workload(kind_path: str, pod_spec: dict[str, Any]) -> dict[str, Any]:
    if kind_path == "cronjobs":
        return {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}
    return {"spec": {"template": {"spec": pod_spec}}}


SA = "system:serviceaccount:ci:deployer"
RBAC = "rbac.authorization.k8s.io"
# Template → events as tests/factories.audit_event keyword arguments, each with "flag": whether
# the template must flag it. Each list is ingested into one cluster and backtested together.
HAND_BUILT: dict[str, list[dict[str, Any]]] = {
    "k8s.privileged-container": [
        {"flag": True, "verb": "create", "resource": "pods", "level": "RequestResponse",
         "requestObject": {"spec": {"initContainers": [{"name": "i", "securityContext": {"privileged": True}}],
                                    "containers": [{"name": "app"}]}}},
        *({"flag": True, "verb": "create", "resource": kind, "api_group": "apps" if kind != "cronjobs" else "batch",
           "name": f"w-{kind}", "requestObject": _workload(kind, _pod(privileged=True))}
          for kind in ("deployments", "daemonsets", "statefulsets", "jobs", "cronjobs")),
        {"flag": False, "verb": "create", "resource": "deployments", "api_group": "apps", "name": "calm",
         "requestObject": _workload("deployments", _pod(privileged=False))},
        {"flag": False, "verb": "create", "resource": "pods", "name": "not-privileged",
         "requestObject": {"spec": {"containers": [{"name": "a", "securityContext": {"privileged": False}}]}}},
    ],
    "k8s.host-namespaces": [
        {"flag": True, "verb": "create", "resource": "pods", "name": "pid",
         "requestObject": {"spec": _pod(hostPID=True)}},
        {"flag": True, "verb": "create", "resource": "daemonsets", "api_group": "apps", "name": "ipc",
         "requestObject": _workload("daemonsets", _pod(hostIPC=True))},
        {"flag": False, "verb": "create", "resource": "pods", "name": "plain",
         "requestObject": {"spec": _pod(hostNetwork=False)}},
    ],
    "k8s.sensitive-hostpath": [
        *({"flag": True, "verb": "create", "resource": "pods", "name": f"mount-{n}",
           "requestObject": {"spec": _pod(volumes=[{"name": "v", "hostPath": {"path": path}}])}}
          for n, path in enumerate(["/", "/proc", "/var/run/docker.sock", "/run/containerd/containerd.sock",
                                    "/var/lib/kubelet/pki", "/etc/kubernetes/manifests", "/root"])),
        {"flag": True, "verb": "create", "resource": "statefulsets", "api_group": "apps", "name": "sts",
         "requestObject": _workload("statefulsets", _pod(volumes=[{"name": "v", "hostPath": {"path": "/etc"}}]))},
        {"flag": False, "verb": "create", "resource": "pods", "name": "harmless",
         "requestObject": {"spec": _pod(volumes=[{"name": "v", "hostPath": {"path": "/data/app-cache"}}])}},
        {"flag": False, "verb": "create", "resource": "pods", "name": "etcd-lookalike",
         "requestObject": {"spec": _pod(volumes=[{"name": "v", "hostPath": {"path": "/etcetera"}}])}},
    ],
    "k8s.cluster-admin-binding": [
        {"flag": True, "verb": "create", "resource": "rolebindings", "api_group": RBAC, "namespace": "payments",
         "name": "admins", "requestObject": {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}},
        {"flag": False, "verb": "create", "resource": "rolebindings", "api_group": RBAC, "namespace": "payments",
         "name": "viewers", "requestObject": {"roleRef": {"kind": "ClusterRole", "name": "view"}}},
    ],
    "k8s.wildcard-role": [
        {"flag": True, "verb": "create", "resource": "roles", "api_group": RBAC, "namespace": "payments",
         "name": "all", "requestObject": {"rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}]}},
        {"flag": False, "verb": "create", "resource": "roles", "api_group": RBAC, "namespace": "payments",
         "name": "read", "requestObject": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}},
    ],
    "k8s.exposed-service": [
        {"flag": True, "verb": "create", "resource": "services", "name": "lb",
         "requestObject": {"spec": {"type": "LoadBalancer"}}},
        {"flag": False, "verb": "create", "resource": "services", "name": "internal",
         "requestObject": {"spec": {"type": "ClusterIP"}}},
    ],
    "k8s.configmap-credentials": [
        {"flag": True, "verb": "create", "resource": "configmaps", "name": "db",
         "requestObject": {"data": {"password": "hunter2", "host": "db"}}},
        {"flag": True, "verb": "update", "resource": "configmaps", "name": "aws",
         "requestObject": {"data": {"AWS_SECRET_ACCESS_KEY": "x", "region": "eu-west-1"}}},
        {"flag": True, "verb": "create", "resource": "configmaps", "name": "tls",
         "requestObject": {"data": {"tls.key": "-----BEGIN PRIVATE KEY-----"}}},
        {"flag": False, "verb": "create", "resource": "configmaps", "name": "settings",
         "requestObject": {"data": {"color": "purple", "password_policy_url": "https://example.com"}}},
        # Credentials inside values, under harmless key names.
        {"flag": True, "verb": "create", "resource": "configmaps", "name": "app-env",
         "requestObject": {"data": {"app.env": "DB_HOST=db\nDB_PASSWORD=hunter2\n"}}},
        {"flag": True, "verb": "patch", "resource": "configmaps", "name": "boto",
         "requestObject": {"data": {"credentials": "[default]\nkey = AKIAIOSFODNN7EXAMPLE\n"}}},
        {"flag": True, "verb": "create", "resource": "configmaps", "name": "deploy",
         "requestObject": {"data": {"deploy.pem": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n"}}},
        {"flag": False, "verb": "create", "resource": "configmaps", "name": "ui",
         "requestObject": {"data": {"ui.properties": "color.good=purple\ncolor.bad=yellow\n",
                                    "settings.yaml": "passwordPolicy: strict\nminLength: 12\n"}}},
        {"flag": False, "verb": "get", "resource": "configmaps", "name": "app-env",
         "requestObject": {"data": {"app.env": "DB_PASSWORD=hunter2"}}},
    ],
    "k8s.secret-read": [
        {"flag": True, "verb": "get", "resource": "secrets", "name": "db-password", "username": "alice@example.com"},
        {"flag": True, "verb": "list", "resource": "secrets", "name": None, "username": "bob@example.com"},
        {"flag": False, "verb": "get", "resource": "secrets", "name": "db-password",
         "username": "system:serviceaccount:payments:api"},
        {"flag": False, "verb": "get", "resource": "secrets", "name": "db-password", "username": "eve@example.com",
         "code": 403},
        {"flag": False, "verb": "get", "resource": "configmaps", "name": "settings"},
    ],
    "k8s.secret-read-burst": [
        *({"flag": True, "verb": "get", "resource": "secrets", "name": f"s{n}", "username": SA} for n in range(20)),
        *({"flag": False, "verb": "get", "resource": "secrets", "name": f"s{n}", "username": "carol@example.com"}
          for n in range(19)),
        *({"flag": False, "verb": "get", "resource": "secrets", "name": f"s{n}", "username": "system:node:n1"}
          for n in range(25)),
    ],
    "k8s.repeated-forbidden": [
        *({"flag": True, "verb": "list", "resource": "secrets", "name": None, "username": SA, "code": 403}
          for _ in range(5)),
        *({"flag": False, "verb": "list", "resource": "pods", "name": None, "username": "dave@example.com",
           "code": 403} for _ in range(4)),
    ],
    "k8s.network-policy-deleted": [
        {"flag": True, "verb": "delete", "resource": "networkpolicies", "api_group": "networking.k8s.io",
         "name": "default-deny"},
        {"flag": True, "verb": "delete", "resource": "globalnetworkpolicies", "api_group": "projectcalico.org",
         "namespace": None, "name": "security.deny-all"},
        {"flag": True, "verb": "delete", "resource": "tiers", "api_group": "projectcalico.org", "namespace": None,
         "name": "security"},
        {"flag": False, "verb": "update", "resource": "networkpolicies", "api_group": "networking.k8s.io",
         "name": "default-deny"},
    ],
    "k8s.service-account-token": [
        {"flag": True, "verb": "create", "resource": "serviceaccounts", "subresource": "token", "name": "ci-bot"},
        {"flag": True, "verb": "create", "resource": "secrets", "name": "ci-bot-token",
         "requestObject": {"type": "kubernetes.io/service-account-token"}},
        {"flag": False, "verb": "create", "resource": "serviceaccounts", "subresource": "token", "name": "web",
         "username": "system:node:worker-1"},
        {"flag": False, "verb": "create", "resource": "secrets", "name": "plain",
         "requestObject": {"type": "Opaque"}},
    ],
    "k8s.csr-approved": [
        {"flag": True, "verb": "update", "resource": "certificatesigningrequests", "subresource": "approval",
         "api_group": "certificates.k8s.io", "namespace": None, "name": "csr-evil",
         "requestObject": {"status": {"conditions": [{"type": "Approved"}]}}},
        {"flag": False, "verb": "update", "resource": "certificatesigningrequests", "subresource": "approval",
         "api_group": "certificates.k8s.io", "namespace": None, "name": "csr-node",
         "username": "system:kube-controller-manager",
         "requestObject": {"status": {"conditions": [{"type": "Approved"}]}}},
        {"flag": False, "verb": "update", "resource": "certificatesigningrequests", "subresource": "approval",
         "api_group": "certificates.k8s.io", "namespace": None, "name": "csr-denied",
         "requestObject": {"status": {"conditions": [{"type": "Denied"}]}}},
    ],
    "k8s.impersonation": [
        {"flag": True, "verb": "get", "resource": "secrets", "username": "alice@example.com",
         "impersonatedUser": {"username": "admin", "groups": ["system:masters"]}},
        {"flag": False, "verb": "get", "resource": "pods", "username": "system:admin",
         "impersonatedUser": {"username": "bob"}},
        {"flag": False, "verb": "get", "resource": "pods", "username": "alice@example.com"},
    ],
    "k8s.port-forward-proxy": [
        {"flag": True, "verb": "create", "resource": "pods", "subresource": "portforward", "name": "db-0"},
        {"flag": True, "verb": "get", "resource": "services", "subresource": "proxy", "name": "grafana"},
        {"flag": False, "verb": "get", "resource": "pods", "subresource": "log", "name": "db-0"},
    ],
    "k8s.audit-or-admission-changed": [
        {"flag": True, "verb": "delete", "resource": "validatingwebhookconfigurations",
         "api_group": "admissionregistration.k8s.io", "namespace": None, "name": "gatekeeper"},
        {"flag": True, "verb": "patch", "resource": "mutatingwebhookconfigurations",
         "api_group": "admissionregistration.k8s.io", "namespace": None, "name": "istio-sidecar-injector"},
        {"flag": False, "verb": "get", "resource": "validatingwebhookconfigurations",
         "api_group": "admissionregistration.k8s.io", "namespace": None, "name": "gatekeeper"},
    ],
    "k8s.anonymous-request": [
        {"flag": True, "verb": "get", "resource": "secrets", "username": "system:anonymous",
         "groups": ["system:unauthenticated"]},
        {"flag": False, "verb": "get", "resource": "secrets", "username": "system:anonymous", "code": 403},
        {"flag": False, "verb": "get", "username": "system:anonymous", "requestURI": "/healthz", "objectRef": {}},
    ],
}
