"""Jobs deferred by `flask demo seed` (no request) reach the embedded runner with the app."""

from backoffice import queue


def test_runner_made_outside_a_request_holds_the_app_not_the_proxy(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUEUE_MODE", "thread")
    monkeypatch.setitem(app.extensions, "backoffice.runner", None)
    handed = []
    monkeypatch.setattr(queue.ThreadRunner, "submit", lambda self, new: handed.append(self.app))
    session = type("FakeSession", (), {"info": {queue._NEW_JOBS: [(1, "default", 60)]}})()
    queue._hand_over_after_commit(session)
    # A LocalProxy here made the runner's thread fail: "Working outside of application context".
    assert handed and handed[0] is app
