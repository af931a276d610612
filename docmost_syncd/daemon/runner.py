"""Running syncs: one run (``sync --once``) and the daemon (``run``).

The daemon is one loop in the main thread. APScheduler (3.11, BackgroundScheduler) fires runs
on the interval or cron schedule, never overlapping (max_instances=1, coalesce, an explicit
misfire grace); runs execute in the scheduler's worker thread and spaces in a bounded pool. The
main loop handles signals, pings the systemd watchdog only while runs make progress, and serves
/healthz, /readyz and /metrics.

Signals: SIGTERM/SIGINT stop scheduling and let running space jobs stop at their next step
boundary (nothing half-published; each _temp removed) within ``sync.shutdown_deadline``; a second
signal exits at once (start-up recovery cleans up next time). SIGHUP reloads the configuration
file (schedule, spaces, hooks, log level; a changed output folder needs a restart). SIGUSR1
starts a run now.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from docmost_syncd.cache import CACHE_DIR
from docmost_syncd.config import Settings, load_config, require_server
from docmost_syncd.daemon.health import HealthServer
from docmost_syncd.daemon.metrics import Metrics
from docmost_syncd.daemon.notify import notify, watchdog_interval
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import ConfigError, SyncdError
from docmost_syncd.log import configure_logging, get_logger
from docmost_syncd.model import Space
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.publish.publisher import Publisher, SpaceOutcome
from docmost_syncd.publish.state import disk_bytes
from docmost_syncd.run import RunOutcome, make_publisher, run_sync

JOB_ID = "sync"
STALL_SECONDS = 600.0  # a run with no progress for this long counts as hung (/healthz 503)
CLOCK_STEP_SECONDS = 60.0  # the wall clock moved this much against the monotonic one: a step
LONGEST_RETRY_DELAY = 3600.0  # failing runs back off to one an hour (or one a tick, if longer)


def retry_delay(failed_runs: int, period: float) -> float:
    """How long after a failed run the next may start: the next tick after one failure, then
    1, 3, 7... periods after it, never more than an hour (or one period, when that is longer).
    Ticks still come on the schedule, so runs are never more frequent than the schedule."""
    if failed_runs <= 1:
        return 0.0
    return float(min(period * (2 ** (failed_runs - 1) - 1), max(period, LONGEST_RETRY_DELAY)))


def make_trigger(settings: Settings) -> BaseTrigger:
    sync = settings.sync
    if sync.cron is not None:
        return CronTrigger.from_crontab(sync.cron, timezone=sync.timezone)
    interval = sync.effective_interval
    assert interval is not None
    return IntervalTrigger(seconds=interval, jitter=int(sync.jitter) or None, timezone=sync.timezone)


class Daemon:
    def __init__(self, settings: Settings, config_path: Path | None) -> None:
        self.settings = settings
        self.config_path = config_path
        self.log = get_logger()
        self.metrics = Metrics()
        self.stop_requested = threading.Event()
        self.cancel = threading.Event()  # tells running jobs to stop at the next step
        self.run_now = threading.Event()
        self.reload_requested = threading.Event()
        self.run_lock = threading.Lock()
        self.running = False
        self.last_beat = time.monotonic()
        self.last_run: RunOutcome | None = None
        self.last_listed: list[str] = []  # space ids of the last run that listed spaces
        # space id -> time.monotonic() of its job's last success: ages survive the wall clock
        # stepping (an NTP correction, a suspended VM), which would otherwise fail /readyz
        self.last_success: dict[str, float] = {}
        self.consecutive_failed_runs = 0
        self.next_attempt = 0.0  # time.monotonic() before which a scheduled run is deferred
        self.forced = False  # SIGUSR1 asked for this run: no deferral
        self.exit_code = 0
        self.publisher: Publisher | None = None
        self.client: DocmostClient | None = None
        self.retired_clients: list[DocmostClient] = []  # replaced by a reload, closed once no run uses them
        self.scheduler: BackgroundScheduler | None = None
        self.health: HealthServer | None = None
        self._signals = 0
        self._wall_offset = time.time() - time.monotonic()  # changes only when the wall clock steps

    # ---- liveness ----------------------------------------------------------------------------

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    def _observe(self, endpoint: str, status: int | str, retry: bool) -> None:
        self.beat()
        self.metrics.observe_request(endpoint, status, retry)

    def healthy(self) -> bool:
        return not self.running or time.monotonic() - self.last_beat < STALL_SECONDS

    def _period(self) -> float:
        """Seconds between two ticks of the schedule."""
        return self._max_age() / 2

    def _max_age(self) -> float:
        interval = self.settings.sync.effective_interval
        if interval is not None:
            return 2 * interval
        trigger = make_trigger(self.settings)
        now = datetime.now(UTC)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        return 2 * (second - first).total_seconds() if first and second else 2 * 86400

    def report(self) -> tuple[bool, bool, dict[str, Any]]:
        assert self.publisher is not None
        now = time.monotonic()
        spaces = {}
        ready = bool(self.last_listed)
        for space_id, state in self.publisher.state.spaces.items():
            spaces[state.folder] = {
                "space_id": space_id,
                "name": state.name,
                "result": state.last_result,
                "pages": state.pages,
                "last_success": state.last_success,
                "consecutive_failures": state.consecutive_failures,
                "error": state.last_error,
            }
        max_age = self._max_age()
        not_ready: list[str] = [] if self.last_listed else ["no run has listed the spaces yet"]
        for space_id in self.last_listed:
            last = self.last_success.get(space_id)
            if last is None or now - last >= max_age:
                ready = False
                known = self.publisher.state.get(space_id)
                folder = known.folder if known is not None else space_id
                not_ready.append(f"space {folder} has not synced successfully within {max_age:g} s")
        if self.last_run is not None and self.last_run.error:
            ready = False
            not_ready.insert(0, f"the last run failed: {self.last_run.error}")
        body: dict[str, Any] = {
            "running": self.running,
            "seconds_since_progress": round(time.monotonic() - self.last_beat, 3),
            "last_run": None
            if self.last_run is None
            else {"run_id": self.last_run.run_id, "failed": self.last_run.failed, "error": self.last_run.error},
            "consecutive_failed_runs": self.consecutive_failed_runs,
            "spaces": spaces,
        }
        if not ready:
            body["not_ready"] = not_ready
        return self.healthy(), ready, body

    # ---- runs --------------------------------------------------------------------------------

    def _space_done(self, outcome: SpaceOutcome) -> None:
        self.beat()
        m = self.metrics
        m.space_runs.labels(space=outcome.folder, result=outcome.result).inc()
        m.space_seconds.labels(space=outcome.folder).observe(outcome.seconds)
        if outcome.result == "failed":
            m.space_failures.labels(space=outcome.folder).inc()
            return
        if outcome.result in ("published", "unchanged", "empty"):
            self.last_success[outcome.space_id] = time.monotonic()
            m.last_success.labels(space=outcome.folder).set(time.time())
            m.pages.labels(space=outcome.folder).set(outcome.pages)
            m.bytes.labels(space=outcome.folder).set(outcome.bytes_written)
        if outcome.result == "published":
            m.pages_published.labels(space=outcome.folder).inc(outcome.pages)
            m.bytes_published.labels(space=outcome.folder).inc(outcome.bytes_written)

    def _listed(self, spaces: list[Space]) -> None:
        self.last_listed = [space.id for space in spaces]

    def run_job(self) -> None:
        """One scheduled run; never raises (APScheduler would only log it)."""
        if not self.run_lock.acquire(blocking=False) or self.stop_requested.is_set():
            return
        forced, self.forced = self.forced, False
        wait = self.next_attempt - time.monotonic()
        if wait > 0 and not forced:
            self.log.info("sync.deferred", failed_runs=self.consecutive_failed_runs,
                          seconds_left=round(wait, 3), reason="the last runs failed; backing off")  # fmt: skip
            self.run_lock.release()
            return
        self.running = True
        self.beat()
        started = time.monotonic()
        try:
            assert self.client is not None and self.publisher is not None
            outcome = run_sync(
                self.settings,
                self.client,
                self.publisher,
                on_space_done=self._space_done,
                on_listed=self._listed,
                cancel=self.cancel,
            )
            self.last_run = outcome
            self._measure_state()
            self.metrics.runs.labels(result="failed" if outcome.failed else "ok").inc()
            self.metrics.run_seconds.observe(time.monotonic() - started)
            self.consecutive_failed_runs = self.consecutive_failed_runs + 1 if outcome.failed else 0
            delay = retry_delay(self.consecutive_failed_runs, self._period()) if outcome.failed else 0.0
            self.next_attempt = time.monotonic() + delay
            self._status(outcome)
            if outcome.changed and not self.cancel.is_set():
                self._post_sync_hook(outcome)
            limit = self.settings.sync.max_failures
            if limit is not None and self.consecutive_failed_runs >= limit:
                self.log.error("daemon.max_failures", failed_runs=self.consecutive_failed_runs, limit=limit,
                               action="exiting so systemd restarts the service")  # fmt: skip
                self.exit_code = 1
                self.stop_requested.set()
        except Exception as exc:  # a bug, not a sync failure: keep the daemon alive and visible
            self.log.exception("sync.crashed", error=f"{type(exc).__name__}: {exc}")
            self.metrics.runs.labels(result="failed").inc()
            self.consecutive_failed_runs += 1
        finally:
            self.running = False
            self.beat()
            self._close_retired_clients()
            self.run_lock.release()

    def _close_retired_clients(self) -> None:
        while self.retired_clients:
            self.retired_clients.pop().close()

    def _measure_state(self) -> None:
        """The state folder's size for /metrics: what it adds on disk beside the published spaces."""
        assert self.publisher is not None
        output, state = self.publisher.output_dir, self.publisher.swap.state_dir
        self.metrics.state_bytes.set(disk_bytes(output) - disk_bytes(output, skip=state.name))
        self.metrics.cache_bytes.set(disk_bytes(state / CACHE_DIR))

    def _status(self, outcome: RunOutcome) -> None:
        counts = {
            r: sum(1 for s in outcome.spaces if s.result == r) for r in ("published", "unchanged", "failed")
        }
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        text = (
            f"run failed: {outcome.error}"
            if outcome.error
            else f"{counts['published']} published, {counts['unchanged']} unchanged, {counts['failed']} failed"
        )
        notify(f"STATUS=last run {when}: {text}")

    def _post_sync_hook(self, outcome: RunOutcome) -> None:
        command = self.settings.hooks.post_sync
        if not command:
            return
        changed = " ".join(space.folder for space in outcome.changed)
        env = {**os.environ, "DOCMOST_SYNCD_CHANGED_SPACES": changed, "DOCMOST_SYNCD_RUN_ID": outcome.run_id}
        env["DOCMOST_SYNCD_OUTPUT"] = str(self.settings.output.dir)
        started = time.monotonic()
        try:
            result = subprocess.run(
                command, env=env, timeout=self.settings.hooks.post_sync_timeout, check=False,
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            self.log.error("hook.timeout", command=command[0], timeout=self.settings.hooks.post_sync_timeout)
            return
        except OSError as exc:
            self.log.error("hook.failed", command=command[0], error=str(exc))
            return
        level = self.log.info if result.returncode == 0 else self.log.error
        level("hook.finished", command=command[0], exit_status=result.returncode, changed=changed,
              seconds=round(time.monotonic() - started, 3), stderr=result.stderr[-500:] or None)  # fmt: skip

    # ---- lifecycle ---------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload_requested.set()
            return
        if signum == signal.SIGUSR1:
            self.run_now.set()
            return
        self._signals += 1
        if self._signals > 1:
            notify("STOPPING=1")
            self.log.warning("daemon.aborted", signal=signal.Signals(signum).name,
                             detail="second signal: exiting now; start-up recovery cleans up")  # fmt: skip
            os._exit(0)
        self.log.info("daemon.stopping", signal=signal.Signals(signum).name,
                      deadline_seconds=self.settings.sync.shutdown_deadline)  # fmt: skip
        self.cancel.set()
        self.stop_requested.set()

    def _reload(self) -> None:
        self.reload_requested.clear()
        try:
            loaded = load_config(self.config_path)
            require_server(loaded.settings, loaded.path)
        except ConfigError as exc:
            self.log.error("config.reload_failed", problems=exc.problems, kept="the running configuration")
            return
        new = loaded.settings
        if new.output.dir != self.settings.output.dir or new.http.bind != self.settings.http.bind:
            self.log.warning(
                "config.reload_partial", detail="output.dir and http.bind changes need a restart"
            )
            new.output.dir, new.http.bind = self.settings.output.dir, self.settings.http.bind
        if new.docmost != self.settings.docmost:
            old_client = self.client
            self.client = self._make_client(new)
            if old_client is not None:
                self.retired_clients.append(old_client)
                if self.run_lock.acquire(blocking=False):  # else the running run closes it at its end
                    self._close_retired_clients()
                    self.run_lock.release()
        configure_logging(new.log.format, new.log.level, to=new.log.stream)
        self.settings = new
        if self.scheduler is not None:
            self.scheduler.reschedule_job(JOB_ID, trigger=make_trigger(new))
        self.log.info("config.reloaded", path=str(self.config_path))

    def _make_client(self, settings: Settings) -> DocmostClient:
        # SIGTERM sets self.cancel: requests in flight are abandoned at once, not waited out.
        return DocmostClient(
            settings.docmost, observer=self._observe, on_progress=self.beat, cancel=self.cancel
        )

    def serve(self) -> int:
        settings = self.settings
        assert settings.output.dir is not None
        settings.output.dir.mkdir(parents=True, exist_ok=True)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(signum, self._on_signal)
        lock = OutputLock(settings.state_dir)
        lock.acquire()
        try:
            self.publisher = make_publisher(settings)
            self.publisher.recover()
            self.client = self._make_client(settings)
            if settings.http.bind:
                self.health = HealthServer(settings.http.bind, self.report, self.metrics)
                self.health.start()
            self.scheduler = BackgroundScheduler(
                job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": int(settings.sync.misfire_grace)},
                timezone=settings.sync.timezone,
            )  # fmt: skip
            first = datetime.now(UTC) if settings.sync.run_on_start else None
            self.scheduler.add_job(self.run_job, make_trigger(settings), id=JOB_ID, name="sync",
                                   **({"next_run_time": first} if first else {}))  # fmt: skip
            self.scheduler.start()
            self.log.info("daemon.started", output=str(settings.output.dir),
                          health=self.health.address if self.health else None,
                          schedule=settings.sync.cron or f"every {settings.sync.effective_interval:g}s")  # fmt: skip
            notify("READY=1")
            notify("STATUS=started; waiting for the first run")
            self._loop()
            return self._shutdown()
        finally:
            lock.release()

    def _loop(self) -> None:
        ping = watchdog_interval()
        tick = min(ping or 1.0, 1.0)
        while not self.stop_requested.wait(tick):
            if self.reload_requested.is_set():
                self._reload()
            if self.run_now.is_set() and not self.running:  # a request during a run waits for its end
                self.run_now.clear()
                self.forced = True
                assert self.scheduler is not None
                self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
            self._check_clock()
            if not self.running:
                self.beat()  # idle is progress: the loop itself is alive
            if ping is not None and self.healthy():
                notify("WATCHDOG=1")

    def _check_clock(self) -> None:
        """The scheduler keeps its next fire time in wall time: after the wall clock stepped
        (an NTP correction, a resumed VM, a manual change) the schedule starts again from now,
        so an hour back does not hold the next run for an extra hour."""
        offset = time.time() - time.monotonic()
        step = offset - self._wall_offset
        if abs(step) < CLOCK_STEP_SECONDS:
            return
        self._wall_offset = offset
        self.log.warning("daemon.clock_stepped", seconds=round(step, 3), action="the schedule starts again from now")
        if self.scheduler is not None:
            self.scheduler.reschedule_job(JOB_ID, trigger=make_trigger(self.settings))

    def _shutdown(self) -> int:
        notify("STOPPING=1")
        assert self.scheduler is not None
        self.scheduler.shutdown(wait=False)
        # Running space jobs stop at their next step boundary (self.cancel is set); wait for that,
        # keeping the last second of the deadline to abort a step that did not finish.
        deadline = self.settings.sync.shutdown_deadline
        if self.run_lock.acquire(timeout=max(0.0, deadline - 1.0)):
            self.run_lock.release()
        elif self.client is not None:
            # A stalled step (e.g. a download that sends nothing): close the connections so it
            # fails now and removes its staging folder on the way out.
            self.log.warning("daemon.deadline", detail="aborting the running step")
            self.client.close()
            if self.run_lock.acquire(timeout=min(1.0, deadline)):
                self.run_lock.release()
        if self.health is not None:
            self.health.stop()
        if self.client is not None:
            self.client.close()
        if self.publisher is not None and not self.running:
            self.publisher.close()  # retired copies may still be being deleted
        self.log.info("daemon.stopped", exit_status=self.exit_code)
        return self.exit_code


def run_daemon(settings: Settings, config_path: Path | None) -> int:
    daemon = Daemon(settings, config_path)
    try:
        code = daemon.serve()
    except SyncdError as exc:
        get_logger().error("daemon.failed", error=str(exc))
        return 1
    if daemon.running:
        # A worker is still blocked in a socket read past the deadline. It was cancelled, so it
        # can publish nothing; exit without waiting for it (start-up recovery removes its files).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
