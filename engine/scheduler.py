"""The scheduler: fires timers on time and once, sends the outbox, and sends task reminders.

The database is the source of truth. One APScheduler date job sleeps until the earliest `next_wake_at`;
a commit in this process re-arms it (`nudge`, wired to the service's after-commit hook) and a short
safety poll notices changes made by other processes. A sweep reads only the index of due instances and
deserialises just those, each in its own transaction, so one failing instance never stops the rest.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import OperationalError

from engine import clock, outbox, reminders
from engine.mail import Transport, transport_from_env
from engine.service import WorkflowService

log = logging.getLogger(__name__)

WAKE_JOB = "wake"
POLL_JOB = "poll"
# SpiffWorkflow fires a timer only once the clock is strictly past its due time.
PAST_DUE = timedelta(milliseconds=5)
# Where the wake job rests while nothing waits: it is never removed, because APScheduler 3 races when a
# job is replaced or removed while it is being run, and that can kill its main thread.
_IDLE = datetime(9999, 1, 1, tzinfo=UTC)


class _Earliest(BaseTrigger):
    """The wake job's trigger: whatever time `rearm` last set."""

    def __init__(self) -> None:
        self.armed: datetime | None = None

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        # Once run at the armed time, rest until re-armed (APScheduler asks until it gets a later time).
        if self.armed is None or (previous_fire_time is not None and self.armed <= previous_fire_time):
            return _IDLE
        return self.armed


class TimerScheduler:
    """Runs inside `serve` (`start()`, in the background) or alone (`run()`, blocking)."""

    def __init__(self, service: WorkflowService, *, safety_poll_seconds: float = 5.0,
                 transport: Transport | None = None, reminder_lead: timedelta = timedelta(hours=24),
                 escalate_to_role: str | None = None, batch: int = 500,
                 daily: Iterable[Callable[[], object]] = ()) -> None:
        self.service = service
        self.safety_poll_seconds = safety_poll_seconds
        self._transport = transport
        self.reminder_lead = reminder_lead
        self.escalate_to_role = escalate_to_role
        self.batch = batch
        self.daily = list(daily)
        """Housekeeping run once a day and at start-up (e.g. the retention job)."""
        self._scheduler: BaseScheduler | None = None
        self._earliest = _Earliest()
        self._busy = threading.Lock()
        self._again = threading.Event()
        self.on_tick: Callable[[int], None] | None = None
        """Called after each tick with how many timers it fired (for logs and tests)."""

    # --- one sweep of each kind (what the jobs run; tests call them directly) ------------------

    def fire_due(self, limit: int | None = None) -> int:
        """Wake every instance due now, at most `limit`; returns how many moved on. Each instance is
        woken at most once per call, so a cycle timer catching up fires one occurrence per sweep."""
        limit = limit or self.batch
        fired = 0
        seen: set[int] = set()
        while fired < limit:
            due = [i for i in self.service.due_instances(min(self.batch, limit - fired)) if i not in seen]
            if not due:
                break
            for instance_id in due:
                seen.add(instance_id)
                if self.service.wake(instance_id):
                    fired += 1
        return fired

    @property
    def transport(self) -> Transport:
        """The transport given, or the one SMTP_URL names now (read each time, so a change needs no restart)."""
        return self._transport or transport_from_env()

    def send_mail(self, limit: int = 50) -> int:
        sent = 0
        while True:
            batch = outbox.dispatch(self.service.db, self.transport, limit)
            sent += batch
            if batch < limit:
                return sent

    def send_reminders(self) -> int:
        return reminders.sweep(self.service.db, lead=self.reminder_lead, escalate_to_role=self.escalate_to_role,
                               personal_roles=self.service.catalogue.personal_roles)

    def tick(self) -> int:
        """Everything due now: timers, reminders, then email (so this tick's own emails go too)."""
        fired = self.fire_due()
        self.send_reminders()
        self.send_mail()
        return fired

    # --- running -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the scheduler is started (what /healthz reports)."""
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        """Run in background threads (inside the web process)."""
        self._run(BackgroundScheduler(**self._config()))

    def run(self) -> None:
        """Run in this thread until interrupted (the standalone `scheduler` command)."""
        self._run(BlockingScheduler(**self._config()))

    def shutdown(self, wait: bool = True) -> None:
        """Stop; with `wait`, until the tick in progress (if any) has committed."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            # Not APScheduler's own wait: it holds the job store lock while waiting, and a tick re-arming
            # the wake job needs that lock. Waiting on our own tick lock instead cannot deadlock.
            scheduler.shutdown(wait=False)
        if wait and self._busy.acquire(timeout=60):
            self._busy.release()

    def nudge(self) -> None:
        """A commit here may have changed the earliest wake time or added email: bring the poll forward to
        now, on the scheduler's own thread so the request that committed is not held up. Bursts coalesce."""
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return
        with contextlib.suppress(JobLookupError):
            scheduler.modify_job(POLL_JOB, next_run_time=clock.now())

    def rearm(self) -> datetime | None:
        """Point the wake job at the earliest due time in the database; returns when it will run."""
        when = self.service.next_wake_at()
        scheduler = self._scheduler
        if scheduler is None:
            return None
        run_at = None if when is None else max(when, clock.now()) + PAST_DUE
        self._earliest.armed = run_at
        with contextlib.suppress(JobLookupError):
            scheduler.modify_job(WAKE_JOB, next_run_time=run_at or _IDLE)
        return run_at

    def armed_at(self) -> datetime | None:
        """When the wake job will next run, if it is armed."""
        job = self._scheduler.get_job(WAKE_JOB) if self._scheduler is not None else None
        return job.next_run_time if job is not None and job.next_run_time != _IDLE else None

    def _config(self) -> dict[str, object]:
        return {"timezone": "UTC", "executors": {"default": ThreadPoolExecutor(2)},
                "job_defaults": {"coalesce": True, "max_instances": 3, "misfire_grace_time": None}}

    def _run(self, scheduler: BaseScheduler) -> None:
        self._scheduler = scheduler
        # The first poll runs at once: timers that fell due while everything was down fire at start-up.
        scheduler.add_job(self._job, "interval", seconds=self.safety_poll_seconds, id=POLL_JOB,
                          next_run_time=clock.now())
        scheduler.add_job(self._job, self._earliest, id=WAKE_JOB)
        for number, job in enumerate(self.daily):
            scheduler.add_job(_logged(job), "interval", days=1, id=f"daily-{number}", next_run_time=clock.now())
        log.info("Scheduler started: safety poll every %.1f s.", self.safety_poll_seconds)
        scheduler.start()

    def _job(self) -> None:
        """One tick then re-arm. Jobs may overlap (wake, poll, nudge); only one ticks at a time, and a job
        that arrives meanwhile makes the running one go round again rather than being lost."""
        if self._scheduler is None:
            return  # shutting down
        self._again.set()
        if not self._busy.acquire(blocking=False):
            return
        try:
            while self._again.is_set():
                self._again.clear()
                try:
                    fired = self.tick()
                except OperationalError as error:
                    log.warning("Database unavailable; trying again at the next poll: %s", error)
                    return
                if self.on_tick is not None:
                    self.on_tick(fired)
            self.rearm()
        except Exception:  # a scheduler thread must survive anything; the next poll tries again
            log.exception("Scheduler tick failed")
        finally:
            self._busy.release()
        if self._again.is_set() and self._scheduler is not None:
            self._job()  # asked again between our last look and the release


def _logged(job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # housekeeping must not stop the scheduler; it runs again tomorrow
            log.exception("Daily job %s failed", getattr(job, "__name__", job))

    return run
