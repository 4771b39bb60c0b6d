"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def empty_database(infra):
    """A second, empty database beside the test database."""
    if infra.postgres:
        url = make_url(infra.database_url)
        name = f"{url.database}_mig"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{infra.tmp / 'migrations.sqlite'}"


def test_migrations_match_models(empty_database):
    from flask_migrate import downgrade, upgrade

    from backoffice import create_app
    from backoffice.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database, "QUEUE_MODE": "manual", "TESTING": True}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
