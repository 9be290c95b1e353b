"""The search-engine index mapping of an event document (``engine_document`` builds the
documents; ``dsl`` compiles queries against these fields).

Only ``keyword``, ``long`` and ``date`` fields, valid on Elasticsearch 8/9 and OpenSearch 2.x alike.
The raw event's derived fields (``raw_s``, ``raw_n``, ``raw_b``, ``raw_h``, ``raw_ne``) are
described in ``auditui.events.store.dsl``.
"""

from __future__ import annotations

# Keyword (text) and list fields, and those added after the first release: documents written
# before lack them (read as "").
from auditui.events.fields import KEYWORD_FIELDS, LATER_FIELDS, LIST_FIELDS

__all__ = ["COLUMN_IGNORE_ABOVE", "DERIVED_FIELDS", "KEYWORD_FIELDS", "LATER_FIELDS", "LIST_FIELDS", "MAPPINGS",
           "MAX_TERM_BYTES", "RAW_FIELDS"]

RAW_FIELDS = ("raw_s", "raw_n", "raw_b", "raw_h", "raw_ne")
# Index-only fields: derived from ``raw`` and the columns; searches leave them out of the hits.
DERIVED_FIELDS = (*RAW_FIELDS, "text_lc")
# Lucene refuses terms over 32766 UTF-8 bytes; stay clear of it.
MAX_TERM_BYTES = 32000
# ``ignore_above`` counts characters: at most 4 bytes each, this keeps a column under the limit.
COLUMN_IGNORE_ABOVE = 8000


def _keyword(ignore_above: int | None = COLUMN_IGNORE_ABOVE) -> dict:
    return {"type": "keyword", "ignore_above": ignore_above} if ignore_above else {"type": "keyword"}


MAPPINGS: dict = {
    "dynamic": "strict",
    # The raw event is kept whole in _source (``enabled: false``: stored, not indexed); what is
    # indexed from it lives in the derived fields. Those stay in the stored _source too: leaving
    # them out with ``_source.excludes`` makes the node parse and write every document's source
    # again, a large part of its indexing time (bench/RESULTS.md); searches filter them out instead
    # (``bodies.HIT_SOURCE``).
    "properties": {
        "event_id": {"type": "keyword"},
        "seq": {"type": "long"},
        **{name: _keyword() for name in KEYWORD_FIELDS},
        **{name: _keyword() for name in LIST_FIELDS},
        "response_code": {"type": "long"},
        # Written as epoch milliseconds (ISO text from earlier versions still parses).
        "time": {"type": "date", "format": "epoch_millis||strict_date_optional_time"},
        # No longer written (stage_time_us is); mapped for documents of earlier versions.
        "stage_time": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        # Exact to the microsecond (as the SQL columns), for comparisons, sorting and cursors.
        "time_us": {"type": "long"},
        "stage_time_us": {"type": "long"},
        "raw": {"type": "object", "enabled": False},
        "text_lc": _keyword(),
        **{name: _keyword(None) for name in RAW_FIELDS},
    },
}

