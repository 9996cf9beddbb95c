"""The pass reads through indexes: none of its queries scans the application table.

1,000 offers and a few thousand applications (tests/reminders/bulk.py: years of use, most
offers long closed with every candidate answered, a few in each rule's case); every SELECT of
a first pass (which closes and queues) and of a second one at the same instant (which finds
everything done: the pass a worker runs every minute) is captured and explained on the same
database. Every read of the application table must go through a key that bounds it: the
application itself (id), its offer (posting_id), its candidate or its reference. Reading
"every application in an open stage" through the stage index is reading the table.

- SQLite (EXPLAIN QUERY PLAN): no ``SCAN`` of the table (under its name or an alias), even
  through an index, and every ``SEARCH`` of it constrained on one of those keys.
- PostgreSQL (EXPLAIN (FORMAT JSON) after ANALYZE, with ``enable_seqscan`` off for the EXPLAIN
  only: on tables this small the planner rightly prefers a sequential scan, which would hide
  whether an index *can* serve the query): no ``Seq Scan``, every index or bitmap scan with an
  index condition on one of those keys, and none that the planner expects to read half of
  the table or more (an offer list so long that it covers most applications).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.reminders import bulk
from tracker.db import db, utcnow
from tracker.reminders.engine import run_pass

OFFERS = 1000
APPLICATIONS = 4000
WATCHED = "application"
# Columns whose condition bounds a read of the application table (SQLite names id "rowid").
BOUNDING = r"(?<![\w.])(rowid|id|posting_id|candidate_id|reference)\s*(=|>|<|IN\b)"
MOST = 0.5  # an index read expected to return this share of the table reads the table
MIN_ROWS = 100  # below this, shares mean nothing (the checks' own tests use an empty table)


def capture_selects(engine, run) -> list[tuple[str, object]]:
    """Every distinct SELECT that ``run()`` sends, with the parameters of its first use."""
    seen: dict[str, object] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.setdefault(statement, parameters)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return list(seen.items())


def names_of(table: str, statement: str) -> set[str]:
    """The table's name and its aliases in ``statement`` (SQLite's plan shows the alias)."""
    aliases = re.findall(rf'\b"?{table}"? AS "?(\w+)"?', statement, re.IGNORECASE)
    return {table, *aliases}


def sqlite_full_scans(conn, statement: str, parameters, table: str) -> list[str]:
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    names = names_of(table, statement)
    found = []
    for *_ids, detail in rows:
        match = re.match(r"(SCAN|SEARCH) (\w+)(.*)", detail)
        if not match or match.group(2) not in names:
            continue
        condition = re.search(r"\((.*)\)\s*$", match.group(3))
        if match.group(1) == "SCAN" or not (condition and re.search(BOUNDING,
                                                                    condition.group(1))):
            found.append(detail)
    return found


def _index_reads(node) -> tuple[list[str], float]:
    """The index conditions of a scan node (a bitmap heap scan's come from its bitmap index
    scans) and the rows the planner expects the index to return."""
    if node["Node Type"] != "Bitmap Heap Scan":
        return ([node["Index Cond"]] if "Index Cond" in node else []), node.get("Plan Rows", 0)
    conditions, rows = [], 0.0
    stack = list(node.get("Plans", ()))
    while stack:
        child = stack.pop()
        if "Index Cond" in child:
            conditions.append(child["Index Cond"])
            rows = max(rows, child.get("Plan Rows", 0))
        stack += child.get("Plans", ())
    return conditions, rows


def postgresql_full_scans(conn, statement: str, parameters, table: str) -> list[str]:
    [plan] = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    size = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = %(name)s",
                                {"name": table}).scalar()
    found = []

    def walk(node):
        if node.get("Relation Name") == table:
            kind = node["Node Type"]
            conditions, rows = _index_reads(node)
            bounded = any(re.search(BOUNDING, condition) for condition in conditions)
            too_many = size >= MIN_ROWS and rows >= MOST * size
            if kind == "Seq Scan" or not bounded or too_many:
                found.append(f"{kind} on {table} using {node.get('Index Name', 'a bitmap')}: "
                             f"{' / '.join(conditions) or 'no condition'}"[:300]
                             + f"; {rows:.0f} rows expected of {size:.0f}")
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return found


def full_scans(statements, table: str = WATCHED) -> dict[str, list[str]]:
    """{statement: [plan lines that read the table unbounded]} for the statements that do."""
    result = {}
    with db.engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        explain = postgresql_full_scans if postgresql else sqlite_full_scans
        for statement, parameters in statements:
            scans = explain(conn, statement, parameters, table)
            if scans:
                result[statement] = scans
        conn.rollback()
    return result


def test_a_pass_never_scans_the_application_table(app):
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        built = bulk.populate(OFFERS, APPLICATIONS, now=now, mix=bulk.QUIET_MIX)
        assert (built.offers, built.applications) == (OFFERS, APPLICATIONS)
        reports = []
        # The pass a day later: the expired offers close, every rule finds something to do;
        # then the same pass again, which finds everything done.
        later = now + timedelta(days=1)
        statements = capture_selects(db.engine, lambda: reports.append(run_pass(later)))
        statements += capture_selects(db.engine, lambda: reports.append(run_pass(later)))
        report, again = reports
        assert [a.what for a in again.actions] == []
        assert report.count("error") == 0, [a.text for a in report.actions
                                            if a.what == "error"]
        assert report.count("close") > 0 and report.count("queue") > 0
        rules = {action.text.split()[2] for action in report.actions}
        assert {"deadline_approaching", "deadline_reached", "reviews_pending", "unanswered",
                "interview_tomorrow", "start_date"} <= rules, rules
        reading_applications = [s for s, _p in statements if re.search(
            rf'\b"?{WATCHED}"?\b', s)]
        assert len(reading_applications) >= 3  # the rules do read it
        offenders = full_scans(statements)
    assert offenders == {}, "\n\n".join(f"{scans}\n{' '.join(statement.split())[:800]}"
                                        for statement, scans in offenders.items())


@pytest.mark.parametrize(("where", "caught"), [
    ("a.link_key = 'x'", True),  # no index at all
    ("a.stage_id = 1", True),  # an index, but not a bound: every application of a stage
    ("a.posting_id = 1", False),  # the applications of one offer
    ("a.id IN (1, 2)", False),
])
def test_the_check_tells_a_bounded_read_from_a_scan(app, where, caught):
    """The check itself can fail, and passes what it should."""
    with app.app_context():
        statements = capture_selects(db.engine, lambda: db.session.execute(sa.text(
            f"SELECT count(*) FROM application AS a WHERE {where}")).all())
        offenders = full_scans(statements)
    assert bool(offenders) is caught, offenders
