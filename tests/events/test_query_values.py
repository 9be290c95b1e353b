"""Values of the query language: case folding as SQLite folds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditui.events.query.values import ascii_lower

_FOLD_A_TO_Z = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def test_it_folds_only_ascii_letters():
    # SQLite's lower() leaves non-ASCII letters alone; so must the search-engine side.
    assert ascii_lower("Kube-Controller-Manager") == "kube-controller-manager"
    assert ascii_lower("ÄRGER İstanbul ΣΊΣΥΦΟΣ") == "Ärger İstanbul ΣΊΣΥΦΟΣ"


@given(st.text())
def test_it_folds_any_text_like_sqlite(text):
    assert ascii_lower(text) == text.translate(_FOLD_A_TO_Z)
