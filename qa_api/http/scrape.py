"""What a scrape reads in prometheus-client's multiprocess mode: the metric files of every worker, live or dead."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector


class WorkerFiles(MultiProcessCollector):
    """The library's collector, less files still empty: a worker creates its file before it sizes it, and one
    read in between (or left so by a worker killed then) would fail the whole scrape
    (prometheus/client_python#1199, open in 0.26.0)."""

    def collect(self) -> Iterable[Metric]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(path) > 0:
                    files.append(path)
            except FileNotFoundError:  # a dead worker's live gauges, removed meanwhile
                pass
        return self.merge(files, accumulate=True)  # type: ignore[no-any-return,no-untyped-call]


def registry(path: str | None = None) -> CollectorRegistry:
    """A registry of every worker's figures, from ``path`` (default: ``PROMETHEUS_MULTIPROC_DIR``)."""
    registry = CollectorRegistry()
    WorkerFiles(registry, path)  # type: ignore[no-untyped-call]
    return registry
