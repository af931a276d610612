"""Prometheus metrics, in a registry of the daemon's own (no global state shared with tests).

Beside the runs, spaces and requests: the process's own figures (``process_resident_memory_bytes``,
``process_open_fds``...) and the state folder's size, so an operator can alert on growth.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        self.state_bytes = Gauge(
            "docmost_syncd_state_bytes",
            "Bytes on disk of the hidden state folder (spares, page cache, state), beyond the published spaces.",
            registry=r,
        )
        self.cache_bytes = Gauge(
            "docmost_syncd_cache_bytes", "Bytes on disk of the page cache (pages and attachments).", registry=r
        )
        self.runs = Counter(
            "docmost_syncd_runs_total", "Sync runs, by result (ok or failed).", ["result"], registry=r
        )
        self.run_seconds = Histogram(
            "docmost_syncd_run_duration_seconds", "Duration of whole sync runs.", registry=r,
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
        )  # fmt: skip
        self.space_runs = Counter(
            "docmost_syncd_space_runs_total", "Space jobs by space and result (published, unchanged, empty, failed).",
            ["space", "result"], registry=r,
        )  # fmt: skip
        self.space_failures = Counter(
            "docmost_syncd_space_failures_total", "Failed space jobs.", ["space"], registry=r
        )
        self.space_seconds = Histogram(
            "docmost_syncd_space_duration_seconds", "Duration of one space job.", ["space"], registry=r,
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 1800),
        )  # fmt: skip
        self.last_success = Gauge(
            "docmost_syncd_space_last_success_timestamp_seconds", "When the space last synced successfully.",
            ["space"], registry=r,
        )  # fmt: skip
        self.pages = Gauge(
            "docmost_syncd_space_pages", "Pages in the published space.", ["space"], registry=r
        )
        self.bytes = Gauge(
            "docmost_syncd_space_bytes", "Bytes in the published space.", ["space"], registry=r
        )
        self.pages_published = Counter(
            "docmost_syncd_pages_published_total",
            "Pages written by swaps that changed a space.",
            ["space"],
            registry=r,
        )
        self.bytes_published = Counter(
            "docmost_syncd_bytes_published_total",
            "Bytes written by swaps that changed a space.",
            ["space"],
            registry=r,
        )
        self.http_requests = Counter(
            "docmost_syncd_http_requests_total", "HTTP requests to Docmost by endpoint and status.",
            ["endpoint", "status"], registry=r,
        )  # fmt: skip
        self.http_retries = Counter(
            "docmost_syncd_http_retries_total",
            "Retried HTTP requests to Docmost by endpoint.",
            ["endpoint"],
            registry=r,
        )

    def observe_request(self, endpoint: str, status: int | str, retry: bool) -> None:
        self.http_requests.labels(endpoint=endpoint, status=str(status)).inc()
        if retry:
            self.http_retries.labels(endpoint=endpoint).inc()
