"""Console: the job queue (admins only) — mode, counts, RQ queues and workers, failed jobs."""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import func, select

from backoffice.actors import current_actor
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.i18n import format_when
from backoffice.queue import QUEUES, queue_overview
from backoffice.security import safe_next
from backoffice.services import queue_admin
from models.base import utcnow
from models.jobs import Job, JobStatus
from models.users import Role
from views.admin.base import Category, ReadOnlyModelView, SecureView
from views.admin.dashboard import counter

log = logging.getLogger(__name__)

STATUS_LABELS = {
    JobStatus.PENDING: _l("waiting"),
    JobStatus.RUNNING: _l("running"),
    JobStatus.DONE: _l("done"),
    JobStatus.FAILED: _l("failed"),
}
STATUS_TONES = {"pending": "info", "running": "primary", "done": "success", "failed": "danger"}


def last_line(error: str | None) -> str:
    """The last non-empty line of a traceback: the exception and its message."""
    lines = [line for line in (error or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _status_badge(status) -> Markup:
    status = JobStatus(status)
    label = escape(STATUS_LABELS[status])
    return Markup(f'<span class="badge badge-{STATUS_TONES[status.value]}">{label}</span>')


@counter(_l("Failed background jobs"), endpoint="queue.index", roles=(Role.ADMIN,), tone="danger")
def count_failed_jobs() -> int:
    """Jobs that used up their attempts: something to look at on the queue page."""
    return db.session.scalar(select(func.count()).where(Job.status == JobStatus.FAILED)) or 0


class QueueView(SecureView):
    """The state of background processing and the buttons to act on it."""

    roles = (Role.ADMIN,)

    @expose("/")
    def index(self):
        overview, redis_error = None, None
        try:
            overview = queue_overview()
        except Exception as exc:  # noqa: BLE001 - Redis down: show it, keep the page working
            db.session.rollback()
            log.warning("queue overview failed: %s", exc)
            redis_error = f"{type(exc).__name__}: {exc}"
        failed = db.session.scalars(
            select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.id.desc()).limit(50)
        ).all()
        oldest = db.session.scalar(
            select(func.min(Job.not_before)).where(
                Job.status == JobStatus.PENDING, Job.not_before <= utcnow()
            )
        )
        return self.render(
            "admin/system/queue.html",
            overview=overview,
            redis_error=redis_error,
            failed=failed,
            waiting_since=oldest,
            waiting_minutes=int((utcnow() - oldest).total_seconds() // 60) if oldest else 0,
            test_jobs=queue_admin.recent_test_jobs(),
            queues=QUEUES,
            status_badge=_status_badge,
            last_line=last_line,
        )

    @expose("/requeue/", methods=("POST",))
    def requeue(self):
        """Give one failed job another run."""
        try:
            job = queue_admin.requeue_failed_job(
                current_actor(), request.form.get("id", type=int) or 0
            )
            db.session.commit()
            flash(
                _("Job %(id)d (%(func)s) is waiting to run again.", id=job.id, func=job.func),
                "success",
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
        return redirect(safe_next(request.form.get("next"), url_for(".index"), prefix="/admin/"))

    @expose("/requeue-all/", methods=("POST",))
    def requeue_all(self):
        """Give every failed job another run."""
        count = queue_admin.requeue_all_failed(current_actor())
        db.session.commit()
        flash(ngettext("%(num)d job requeued.", "%(num)d jobs requeued.", count), "success")
        return redirect(url_for(".index"))

    @expose("/test-job/", methods=("POST",))
    def test_job(self):
        """Queue the ping job to see a worker pick it up."""
        queue_admin.send_test_job(current_actor())
        db.session.commit()
        flash(_("A test job has been queued. Reload the page to see whether it has run."), "info")
        return redirect(url_for(".index"))


class JobAdmin(ReadOnlyModelView):
    """Every background job with its arguments, attempts and error."""

    roles = (Role.ADMIN,)
    can_export = False
    details_template = "admin/system/job_details.html"
    page_size = 50
    column_list = (
        "id",
        "func",
        "queue",
        "status",
        "attempts",
        "created_at",
        "finished_at",
        "last_error",
    )
    column_labels = {
        "id": _l("No."),
        "func": _l("Job"),
        "queue": _l("Queue"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "created_at": _l("Created"),
        "finished_at": _l("Finished"),
        "last_error": _l("Error"),
        "description": _l("Description"),
    }
    column_searchable_list = ("func", "description")
    column_sortable_list = (
        "id",
        "func",
        "queue",
        "status",
        "attempts",
        "created_at",
        "finished_at",
    )
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            Job.status, _l("Status"), options=[(s.value, lbl) for s, lbl in STATUS_LABELS.items()]
        ),
        FilterEqual(Job.queue, _l("Queue"), options=[(q, q) for q in QUEUES]),
        FilterLike(Job.func, _l("Job")),
    )
    column_formatters = {
        "status": lambda v, c, m, n: _status_badge(m.status),
        "attempts": lambda v, c, m, n: f"{m.attempts} / {m.max_attempts}",
        "created_at": lambda v, c, m, n: format_when(m.created_at),
        "finished_at": lambda v, c, m, n: format_when(m.finished_at),
        "last_error": lambda v, c, m, n: last_line(m.last_error)[:200],
    }

    def audit_name(self) -> str:
        return "job"

    def scope(self, query):
        # Links from the queue page: /admin/jobs/?status=failed
        status = request.args.get("status")
        if status in {s.value for s in JobStatus}:
            query = query.filter(Job.status == JobStatus(status))
        return query


def register(admin) -> None:
    """Add the queue page and the job list to the console."""
    admin.add_view(
        QueueView(name=_l("Queue"), category=Category.ADMIN, endpoint="queue", url="/admin/queue")
    )
    admin.add_view(
        JobAdmin(Job, name=_l("Jobs"), category=Category.ADMIN, endpoint="jobs", url="/admin/jobs")
    )
