"""auditui/events/query/limits.py: caps on what one query may ask of the store, each named in its
error, with the position of the text that went over (the parser's error shape), answered 400 by
the API and shown in the search page's error area."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from auditui.events.query import QueryError, parse
from auditui.events.query.limits import (
    MAX_CONDITIONS,
    MAX_IN_VALUES,
    MAX_QUERY_LENGTH,
    MAX_SET_VALUES,
    MAX_UNINDEXED_CONDITIONS,
)


def _error(text: str, substitutions=None) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse(text, substitutions)
    return info.value


def test_it_caps_the_query_length():
    error = _error("verb = get OR " * (MAX_QUERY_LENGTH // 14) + "verb = list")
    assert "longer than 10,000 characters (query length cap)" in error.message
    assert error.position == MAX_QUERY_LENGTH


def test_it_caps_the_number_of_conditions():
    text = " OR ".join(f"verb = v{i}" for i in range(MAX_CONDITIONS + 1))
    error = _error(text)
    assert f"more than {MAX_CONDITIONS} conditions (conditions cap)" in error.message
    assert error.position == text.rindex("verb")


def test_it_caps_conditions_on_unindexed_paths():
    conditions = [f"requestObject.spec.f{i} = 1" for i in range(MAX_UNINDEXED_CONDITIONS + 1)]
    text = " OR ".join(conditions)
    error = _error(text)
    assert "unindexed conditions cap" in error.message
    assert error.position == text.rindex("requestObject")
    # Indexed fields do not count against it.
    assert parse(" OR ".join([*conditions[:MAX_UNINDEXED_CONDITIONS], "verb = get", "user.username = a"]))


def test_it_caps_the_values_of_an_in_set():
    values = [f"v{i}" for i in range(MAX_IN_VALUES + 1)]
    text = '"user.groups" IN {' + ",".join(values) + "}"
    error = _error(text)
    assert "more than 1,000 values (IN list cap)" in error.message
    assert error.position == text.rindex(values[-1])
    assert parse('"user.groups" IN {' + ",".join(values[:-1]) + "}")


def test_it_caps_a_substituted_set_at_the_variable():
    error = _error("verb = ${verbs}", {"verbs": [str(i) for i in range(40_000)]})
    assert "IN list cap" in error.message and error.position == len("verb = ")


def test_it_caps_the_values_of_all_sets_together():
    sets = [f"f{k} IN {{" + ",".join(str(i) for i in range(MAX_IN_VALUES)) + "}" for k in range(6)]
    substitutions = {f"s{k}": [str(i) for i in range(MAX_IN_VALUES)] for k in range(6)}
    text = " OR ".join(f"verb IN ${{s{k}}}" for k in range(6))
    error = _error(text, substitutions)
    assert f"more than {MAX_SET_VALUES:,} values together (IN values cap)" in error.message
    assert error.position == text.rindex("$")
    assert len(" OR ".join(sets)) > MAX_QUERY_LENGTH  # as text, the length cap comes first


@pytest.mark.django_db
def test_the_api_answers_400_naming_the_cap_and_its_position(client, admin):
    values = ",".join(f"g{i}" for i in range(MAX_IN_VALUES + 1))
    query = f'"user.groups" IN {{{values}}}'
    token = Token.objects.create(user=admin).key
    response = client.get("/api/v1/events", {"query": query}, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "query" and "IN list cap" in body["error"]
    assert body["position"] == query.rindex(f"g{MAX_IN_VALUES}")


@pytest.mark.django_db
def test_the_search_page_shows_the_cap_in_its_error_area(client, admin):
    client.force_login(admin)
    query = " OR ".join(f"requestObject.f{i} = 1" for i in range(MAX_UNINDEXED_CONDITIONS + 1))
    response = client.get("/events/", {"query": query})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="query-error"' in body and "unindexed conditions cap" in body
