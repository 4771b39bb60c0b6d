"""Embedded mode (SQLite): a form POST that reads, then writes, while another connection
commits a write in between waits for its turn instead of failing with "database is locked".
(On PostgreSQL the same request simply succeeds.)"""

import threading
import time

import pytest
from sqlalchemy import text

from tests.conftest import test_config as suite_config

pytestmark = pytest.mark.committed


def test_post_that_reads_then_writes_survives_a_concurrent_commit(infra, db):
    from backoffice import create_app
    from backoffice.extensions import db as _db

    app = create_app(suite_config(infra))
    read_done = threading.Event()

    @app.post("/_test/read-then-write")
    def read_then_write():
        n = _db.session.execute(text("SELECT count(*) FROM customer_groups")).scalar()
        read_done.set()
        time.sleep(0.3)  # another request or job commits meanwhile
        _db.session.execute(
            text("INSERT INTO customer_groups (name, created_at, updated_at) "
                 "VALUES (:n, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"n": f"group {n}"},
        )  # fmt: skip
        _db.session.commit()
        return "ok"

    def other_writer():
        read_done.wait(5)
        with app.app_context(), _db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO customer_groups (name, created_at, updated_at) "
                     "VALUES ('other', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            )  # fmt: skip

    writer = threading.Thread(target=other_writer)
    writer.start()
    resp = app.test_client().post("/_test/read-then-write")
    writer.join(30)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    with app.app_context():
        assert _db.session.execute(text("SELECT count(*) FROM customer_groups")).scalar() == 2
