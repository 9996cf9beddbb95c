"""Shared fixtures.

The database is real: a SQLite file per test session, or the PostgreSQL server named by
``TEST_DATABASE_URL`` (``make test`` starts one). The schema is built once by the Alembic
migrations, exactly as in production; every test then starts from empty tables.

Do not hold an application context open while making requests with ``client``: Flask would
reuse it and share ``g`` and the database session between the test and the request. Create
data inside ``with app.app_context():`` blocks, commit, keep ids/slugs, then make requests.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests import factories
from tracker import create_app
from tracker.db import db


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance)
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    application.instance_path = str(instance)
    with application.app_context():
        from flask_migrate import downgrade, upgrade

        if db.engine.dialect.name == "postgresql":
            # A left-over schema from an interrupted run must not survive.
            downgrade(revision="base")
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(app):
    yield
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """login(email, password=factories.PASSWORD) logs the test client in."""

    def do_login(email: str, password: str = factories.PASSWORD):
        response = client.post(
            "/connexion", data={"email": email, "password": password}, follow_redirects=False
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


@contextmanager
def count_queries(app):
    """Counts the SQL statements run inside the block.

    ``with count_queries(app) as n: ...`` then ``n()`` is the number of statements.
    """
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield lambda: len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def queries(app):
    return lambda: count_queries(app)
