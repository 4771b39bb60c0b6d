"""Console queue page and job list: counts, failed jobs, requeue, test job, Redis states."""

import pytest
from sqlalchemy import select

from backoffice.queue import defer
from models import AuditEntry, Job, JobStatus
from models.base import utcnow


def text(resp) -> str:
    return resp.get_data(as_text=True)


def failed_job(db, func="tasks.maintenance.ping", error="RuntimeError: SMTP wybuchł") -> Job:
    job = Job(
        func=func,
        args=["x"],
        kwargs={},
        queue="mail",
        status=JobStatus.FAILED,
        attempts=3,
        max_attempts=3,
        not_before=utcnow(),
        created_at=utcnow(),
        finished_at=utcnow(),
        last_error=f"Traceback (most recent call last):\n  File x\n{error}\n",
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_only_admins(staff_client, client):
    assert client.get("/admin/queue/").status_code == 302
    assert staff_client("logistics").get("/admin/queue/").status_code == 403
    assert staff_client("sales").get("/admin/jobs/").status_code == 403


def test_page_shows_mode_counts_and_failed_jobs(admin_client, db):
    job = failed_job(db)
    defer("tasks.maintenance.ping", "waiting")
    db.session.commit()
    page = text(admin_client.get("/admin/queue/"))
    assert "Zadania zakończone błędem" in page
    assert "RuntimeError: SMTP wybuchł" in page and f"?id={job.id}" in page
    assert 'data-testid="job-counts"' in page
    assert "Ręczny" in page  # the suite runs jobs by hand (QUEUE_MODE=manual)


def test_requeue_a_failed_job(admin_client, db, run_jobs):
    job = failed_job(db)
    resp = admin_client.post("/admin/queue/requeue/", data={"id": job.id}, follow_redirects=True)
    assert "czeka na ponowne uruchomienie" in text(resp)
    db.session.refresh(job)
    assert job.status == JobStatus.PENDING and job.attempts == 0
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "job.requeue")).one()
    assert audit.object_id == str(job.id) and audit.actor_id == admin_client.user.id
    # A second click (or a second admin) requeues nothing twice.
    resp = admin_client.post("/admin/queue/requeue/", data={"id": job.id}, follow_redirects=True)
    assert "tylko zadanie zakończone błędem" in text(resp)
    assert run_jobs() == 1
    db.session.refresh(job)
    assert job.status == JobStatus.DONE


def test_requeue_returns_to_a_local_page_only(admin_client, db):
    job = failed_job(db)
    resp = admin_client.post(
        "/admin/queue/requeue/", data={"id": job.id, "next": "https://evil.example.com/"}
    )
    assert resp.headers["Location"] == "/admin/queue/"


def test_requeue_all(admin_client, db):
    jobs = [failed_job(db), failed_job(db, func="tasks.maintenance.cleanup_jobs")]
    resp = admin_client.post("/admin/queue/requeue-all/", follow_redirects=True)
    assert "2 zadania uruchomiono ponownie" in text(resp)
    for job in jobs:
        db.session.refresh(job)
        assert job.status == JobStatus.PENDING


def test_send_a_test_job_and_see_it_done(admin_client, db, run_jobs):
    resp = admin_client.post("/admin/queue/test-job/", follow_redirects=True)
    assert "Zadanie testowe jest w kolejce" in text(resp)
    job = db.session.scalars(select(Job).where(Job.func == "tasks.maintenance.ping")).one()
    assert job.status == JobStatus.PENDING
    run_jobs()
    page = text(admin_client.get("/admin/queue/"))
    assert 'data-testid="test-jobs"' in page and "wykonane" in page
    token = job.args[0]
    pong = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "queue.ping")).one()
    assert pong.object_id == token


def test_queue_buttons_need_post(admin_client):
    assert admin_client.get("/admin/queue/test-job/").status_code == 405
    assert admin_client.get("/admin/queue/requeue/").status_code == 405


def test_job_list_and_details(admin_client, db):
    job = failed_job(db, error="ValueError: zła wartość")
    page = text(admin_client.get("/admin/jobs/?status=failed"))
    assert "ValueError: zła wartość" in page
    details = text(admin_client.get(f"/admin/jobs/details/?id={job.id}"))
    assert "Traceback" in details and "/admin/queue/requeue/" in details
    assert text(admin_client.get("/admin/jobs/?status=done")).count("zła wartość") == 0


def test_redis_down_is_shown_not_a_crash(app, admin_client, db, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "QUEUE_MODE", "redis")
    monkeypatch.setitem(app.extensions, "backoffice.redis", None)
    resp = admin_client.get("/admin/queue/")
    assert resp.status_code == 200
    assert "Redis jest niedostępny" in text(resp)


@pytest.mark.redis
def test_redis_mode_lists_queues_and_workers(app, admin_client, db):
    page = text(admin_client.get("/admin/queue/"))
    assert 'data-testid="rq-queues"' in page and 'data-testid="rq-workers"' in page
    for queue in ("default", "mail", "documents", "periodic"):
        assert f"<td>{queue}</td>" in page


def test_dashboard_counts_failed_jobs_for_admins(admin_client, staff_client, db):
    failed_job(db)
    page = text(admin_client.get("/admin/"))
    assert "Zadania w tle zakończone błędem" in page
    assert "Zadania w tle zakończone błędem" not in text(staff_client("sales").get("/admin/"))
