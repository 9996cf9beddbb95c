"""The Alembic revisions build exactly the schema the models describe, on both databases."""

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker.db import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    with app.app_context(), db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        config = Config(str(app.extensions["migrate"].directory) + "/alembic.ini")
        config.set_main_option("script_location", app.extensions["migrate"].directory)
        heads = ScriptDirectory.from_config(config).get_heads()
    assert set(current) == set(heads)
    assert len(heads) == 1


# --- Upgrading a database that holds data ------------------------------------------------------

# Values for the columns whose CHECK constraints a generic filler would break.
KNOWN_VALUES = {
    "organisation": {"locale": "fr", "retention_months": 24, "timezone": "Europe/Paris"},
    "user_account": {"active": True},
    "membership": {"role": "lead"},
    "posting": {"status": "draft", "contract_type": "cdd", "working_time": "full_time",
                "remote": "none", "pay_kind": "unspecified", "pay_period": None,
                "pay_basis": None, "deadline": None, "published_at": None},
    "posting_contact": {"role": "to"},
    "application": {"channel": "form", "withdrawn_at": None, "answered_at": None},
}


def _filler(column, now):
    """A plain value for a required column, by type."""
    kind = type(column.type).__name__.lower()
    if "int" in kind or "numeric" in kind:
        return 1
    if "bool" in kind:
        return False
    if "datetime" in kind or "timestamp" in kind:
        return now
    if kind == "date":
        return now.date()
    if "json" in kind:
        return {}
    if "binary" in kind or "blob" in kind or "bytea" in kind:
        return b"x"
    return "x"


def _insert(conn, metadata, table_name: str, now, **values) -> int:
    table = metadata.tables[table_name]
    row = {}
    for column in table.columns:
        if column.primary_key or column.nullable or column.server_default is not None:
            continue
        row[column.name] = _filler(column, now)
    row.update(KNOWN_VALUES.get(table_name, {}))
    row.update(values)
    return conn.execute(table.insert().values(**row)).inserted_primary_key[0]


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: a SQLite file, or a new database on the PostgreSQL server."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    url = sa.make_url(base)
    name = f"tracker_upgrade_{os.getpid()}"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_upgrade_to_the_review_workflow_fills_in_existing_data(empty_database):
    """0002 -> 0003 on a database with organisations, offers and applications in it."""
    from flask_migrate import upgrade

    from tracker import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    now = datetime.now(UTC)
    with app.app_context():
        upgrade(revision="0002")
        metadata = sa.MetaData()
        metadata.reflect(db.engine)
        with db.engine.begin() as conn:
            org_fr = _insert(conn, metadata, "organisation", now, slug="fr-org", locale="fr")
            org_en = _insert(conn, metadata, "organisation", now, slug="en-org", locale="en")
            lead = _insert(conn, metadata, "user_account", now, email="lead@example.org")
            _insert(conn, metadata, "membership", now, user_id=lead, organisation_id=org_fr)
            posting = _insert(conn, metadata, "posting", now, organisation_id=org_fr)
            _insert(conn, metadata, "posting", now, organisation_id=org_en)
            _insert(conn, metadata, "posting_contact", now, posting_id=posting, user_id=lead)
            _insert(conn, metadata, "posting_contact", now, posting_id=posting, user_id=None,
                    email="outside@example.org")
            candidate = _insert(conn, metadata, "candidate", now, organisation_id=org_fr,
                                email="lea@example.com")
            other = _insert(conn, metadata, "candidate", now, organisation_id=org_fr,
                            email="sam@example.com")
            active = _insert(conn, metadata, "application", now, organisation_id=org_fr,
                             posting_id=posting, candidate_id=candidate, reference="R1")
            withdrawn = _insert(conn, metadata, "application", now, organisation_id=org_fr,
                                posting_id=posting, candidate_id=other, reference="R2",
                                withdrawn_at=now)
        upgrade()
        with db.engine.connect() as conn:
            def rows(sql, **params):
                return conn.execute(sa.text(sql), params).all()

            stages = rows("SELECT organisation_id, key, name, kind FROM stage ORDER BY id")
            assert [(s.key, s.name) for s in stages if s.organisation_id == org_fr] == [
                ("received", "Reçue"), ("shortlisted", "Présélectionnée"),
                ("interview", "Entretien"), ("offer", "Proposition"), ("hired", "Recrutée"),
                ("rejected", "Non retenue"), ("withdrawn", "Désistement")]
            assert [s.name for s in stages if s.organisation_id == org_en][0] == "Received"
            placed = dict(rows(
                "SELECT a.id, s.key FROM application a JOIN stage s ON s.id = a.stage_id"))
            assert placed == {active: "received", withdrawn: "withdrawn"}
            decisions = dict(rows("SELECT id, decision FROM application"))
            assert decisions == {active: None, withdrawn: "withdrawn"}
            criteria = rows("SELECT posting_id, name FROM criterion ORDER BY posting_id, position")
            assert [c.name for c in criteria if c.posting_id == posting] == [
                "Motivation", "Expérience", "Compétences", "Adéquation au poste"]
            assert len(criteria) == 8
            assert rows("SELECT posting_id, user_id FROM posting_reviewer") == [(posting, lead)]
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()
