"""Search engines for the benchmarks: an OpenSearch node (1 GB heap, as issue 4 sets) started
from tools/opensearch unless OPENSEARCH_URL is given, and the Elasticsearch client's view of it
through the test proxy (Elastic's server cannot be run here)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bench.common import ROOT, Dataset, feed_simulated

T = TypeVar("T")
STORES = ("sql", "postgresql", "opensearch", "elasticsearch", "opensearch-monthly")
# Engine stores that are another store with options (here: one index per cluster and month).
VARIANTS = {"opensearch-monthly": ("opensearch", "?index_period=month")}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_stores(text: str) -> list[str]:
    stores = [s.strip() for s in text.split(",") if s.strip()]
    unknown = set(stores) - set(STORES)
    if unknown:
        raise SystemExit(f"--store: unknown {', '.join(sorted(unknown))} (use {', '.join(STORES)})")
    return stores


@contextlib.contextmanager
def engine_urls(
    stores: list[str], home: Path | None = None, pids: dict[str, int] | None = None
) -> Iterator[dict[str, str]]:
    """EVENT_STORE_URL for each requested store, with the services they need running. With
    ``home``, the OpenSearch node keeps its data there between runs (datasets load once). When
    it starts the node itself, its process id goes into ``pids`` (to measure its CPU time)."""
    urls = {"sql": "sql"}
    if not {"opensearch", "elasticsearch", *VARIANTS} & set(stores):
        yield urls
        return
    sys.path.insert(0, str(ROOT))
    from tests.opensearch_node import OpenSearchNode

    node = None
    opensearch = os.environ.get("OPENSEARCH_URL", "").rstrip("/")
    if not opensearch:
        os.environ.setdefault("OPENSEARCH_HEAP", "1g")
        directory = home or Path(tempfile.mkdtemp(prefix="auditui-bench-os-"))
        node = OpenSearchNode.start(directory, timeout=180)
        opensearch = node.url
        if pids is not None:
            pids.update(dict.fromkeys(("opensearch", "elasticsearch", *VARIANTS), node.process.pid))
    proxy = None
    try:
        urls["opensearch"] = "opensearch://" + opensearch.split("://", 1)[1]
        if "elasticsearch" in stores:
            from tests.es_proxy import EsProxy

            proxy = EsProxy(opensearch).start()
            urls["elasticsearch"] = "elasticsearch://" + proxy.url.split("://", 1)[1]
        for name, (engine, options) in VARIANTS.items():
            if name in stores:
                urls[name] = urls[engine] + options
        yield urls
    finally:
        if proxy is not None:
            proxy.stop()
        if node is not None:
            node.stop()


def load_engine(store, dataset: Dataset, expected: int, name: str) -> None:
    """The same simulated events as the SQL store (same seed), loaded once into the engine."""
    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery

    if store.count(EventQuery(scope=ViewerScope.all())) == expected:
        return
    started = time.monotonic()
    seen, _stored = feed_simulated(dataset, store=store, label=f"loading {name}")
    elapsed = time.monotonic() - started
    time.sleep(6)  # writes do not wait for a refresh; the index refreshes every 5 s
    stored = store.count(EventQuery(scope=ViewerScope.all()))
    print(f"loaded {seen:,} events into {name} in {elapsed:.0f} s ({seen / elapsed:,.0f}/s); it holds {stored:,}",
          file=sys.stderr)


@contextlib.contextmanager
def configured_store(name: str, url: str, prefix: str, dataset: Dataset, stored: int) -> Iterator[None]:
    """Pages, API and selectors read ``get_store()``: point it at this store (loaded first)."""
    from django.test import override_settings

    from auditui.events.store import store_for

    if name != "sql":
        load_engine(store_for(url, prefix, "false"), dataset, stored, name)
    with override_settings(EVENT_STORE_URL=url, AUDITUI_INDEX_PREFIX=prefix):
        yield


def engine_prefix(events: int, dataset: Dataset, store: str = "opensearch") -> str:
    """The index prefix of a dataset's events in an engine: datasets of other shapes (a year,
    more clusters) and stores of another layout must not land in the same indices."""
    shape = "" if (dataset.days, dataset.clusters) == (30, 3) else f"-{dataset.days}d-{dataset.clusters}c"
    # Not "<other prefix>-…": a prefix's pattern (``<prefix>-*``) would take in the other's indices.
    layout = "-" + store.rsplit("-", 1)[1] if store in VARIANTS else ""
    # BENCH_INDEX_PREFIX: another name on a node shared with others (whose runs use the default),
    # so that one may delete one's own indices without touching theirs.
    base = os.environ.get("BENCH_INDEX_PREFIX", "bench-search")
    return f"{base}{layout}-{events}{shape}"


def run_on_stores(store_arg: str, events: int, dataset: Dataset, stored: int, run: Callable[[], T],
                  data_dir: Path, from_figures: Callable[[Any], T] | None = None) -> dict[str, T]:
    """``run()`` once for each store ``--store`` names, with ``get_store()`` pointing at it (the
    search engines loaded with the dataset's events first). PostgreSQL runs in a child process
    (bench/postgres.py); ``from_figures`` makes its JSON figures what ``run()`` returns (default:
    a list of timings)."""
    from bench.postgres import child_figures, store_label, timings_from

    stores = parse_stores(store_arg)
    results = {}
    with engine_urls(stores) as urls:
        for name in stores:
            if name == "postgresql":
                results[name] = (from_figures or timings_from)(child_figures(data_dir)["stores"]["postgresql"])
                continue
            with configured_store(name, urls[name], engine_prefix(events, dataset, name), dataset, stored):
                results[store_label(name)] = run()
    return results
