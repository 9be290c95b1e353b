"""``manage.py apply/get/delete`` over a registered kind: kubectl's output, all-or-nothing apply."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

TWO = """\
apiVersion: projectcalico.org/v3
kind: GlobalWidget
metadata:
  name: small
spec:
  size: 1
---
apiVersion: projectcalico.org/v3
kind: GlobalWidget
metadata:
  name: big
spec:
  size: 9
"""


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        import sys

        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command(*args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_file(tmp_path):
    path = tmp_path / "widgets.yaml"
    path.write_text(TWO)
    return str(path)


def test_it_prints_created_then_unchanged_then_configured(db, widgets, two_file, tmp_path):
    assert run("apply", "-f", two_file).splitlines() == ["globalwidget/small created", "globalwidget/big created"]
    assert run("apply", "-f", two_file).splitlines() == ["globalwidget/small unchanged", "globalwidget/big unchanged"]
    changed = tmp_path / "changed.yaml"
    changed.write_text(TWO.replace("size: 9", "size: 10"))
    assert run("apply", "-f", str(changed)).splitlines()[1] == "globalwidget/big configured"
    assert widgets.stored["big"] == {"size": 10}


def test_it_applies_none_when_one_document_is_invalid(db, widgets, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TWO.replace("size: 9", "size: -2"))
    with pytest.raises(CommandError) as error:
        run("apply", "-f", str(path))
    message = str(error.value)
    assert "document 2 (line 8)" in message and "spec.size" in message and "GlobalWidget 'big'" in message
    assert widgets.stored == {}


def test_it_reads_json_lists_and_stdin(db, widgets):
    listed = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalWidget", "metadata": {"name": "a"}, "spec": {}},
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalWidget", "metadata": {"name": "b"}, "spec": {"size": 2}},
    ]}
    assert run("apply", "-f", "-", stdin=json.dumps(listed)).splitlines() == [
        "globalwidget/a created", "globalwidget/b created"]


@pytest.mark.parametrize("text, named", [
    ("apiVersion: v1\nkind: GlobalWidget\nmetadata: {name: x}\nspec: {}\n", "apiVersion"),
    ("apiVersion: projectcalico.org/v3\nkind: GlobalGadget\nmetadata: {name: x}\nspec: {}\n", "kind"),
    ("apiVersion: projectcalico.org/v3\nkind: GlobalWidget\nspec: {}\n", "metadata.name"),
    ("apiVersion: projectcalico.org/v3\nkind: GlobalWidget\nmetadata: {name: x\n", "line"),
    ("[1, 2", "JSON"),
    ("- &a [x]\n" + "".join("- *a\n" for _ in range(101)), "aliases"),
])
def test_it_names_what_is_wrong(db, widgets, tmp_path, text, named):
    path = tmp_path / "in.yaml"
    path.write_text(text)
    with pytest.raises(CommandError) as error:
        run("apply", "-f", str(path))
    assert named in str(error.value)
    assert widgets.stored == {}


def test_it_gets_yaml_json_and_a_table(db, widgets, two_file):
    run("apply", "-f", two_file)
    one = yaml.safe_load(run("get", "globalwidget", "big", "-o", "yaml"))
    assert one["metadata"]["name"] == "big" and one["status"] == {"active": True}
    listed = json.loads(run("get", "gw", "-o", "json"))
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["big", "small"]
    lines = run("get", "GlobalWidgets").splitlines()
    assert lines[0].split() == ["NAME", "AGE"] and [line.split()[0] for line in lines[1:]] == ["big", "small"]


def test_it_deletes_like_kubectl(db, widgets, two_file):
    run("apply", "-f", two_file)
    assert run("delete", "globalwidgets", "small").strip() == "globalwidget/small deleted"
    with pytest.raises(CommandError, match='globalwidgets "small" not found'):
        run("delete", "globalwidgets", "small")
    with pytest.raises(CommandError, match='resource type "gadgets"'):
        run("get", "gadgets")
