"""Case- and accent-insensitive text matching that runs the same on SQLite and PostgreSQL.

``fold(column)`` is an SQL expression for the column lower-cased with French accents removed
("Chargé·e de MISSION" -> "chargé·e de mission" -> "charge·e de mission"); ``fold_text()`` does
the same to the words typed by the visitor, so ``fold(col).contains(fold_text(word))`` matches
"Energie" with "énergie" and "REZÉ" with "Rezé" on both databases.

- PostgreSQL: ``translate(lower(x), ...)`` plus ``replace`` for the ligatures œ and æ. The
  translate table lists upper-case letters too, so the result does not depend on the
  database's ctype locale.
- SQLite: its ``lower()`` only knows ASCII, so a Python function ``tracker_fold`` is registered
  on every SQLite connection and does the same folding.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# One character to one character; both lists are the same length.
_FROM = (
    "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸŒÆ"
    "’‘"
)
_TO = (
    "aaaaaaceeeeiiiinooooouuuuyy"
    "aaaaaaceeeeiiiinooooouuuuyyœæ"
    "''"
)
assert len(_FROM) == len(_TO)
_TABLE = str.maketrans(_FROM, _TO)
_LIGATURES = (("œ", "oe"), ("æ", "ae"))


def fold_text(text: str | None) -> str | None:
    """Lower case, French accents and ligatures removed, typographic apostrophes made plain."""
    if text is None:
        return None
    folded = text.lower().translate(_TABLE)
    for ligature, plain in _LIGATURES:
        folded = folded.replace(ligature, plain)
    return folded


class fold(FunctionElement):
    """``fold(expr)``: the SQL twin of :func:`fold_text`."""

    type = sa.String()
    name = "fold"
    inherit_cache = True


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@compiles(fold)
def _compile_fold_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold, "sqlite")
def _compile_fold_sqlite(element, compiler, **kw):
    return f"tracker_fold({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _compile_fold_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    sql = f"translate(lower({column}), {_sql_string(_FROM)}, {_sql_string(_TO)})"
    for ligature, plain in _LIGATURES:
        sql = f"replace({sql}, {_sql_string(ligature)}, {_sql_string(plain)})"
    return sql


@sa.event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection, connection_record):  # pragma: no cover - driver hook
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("tracker_fold", 1, fold_text, deterministic=True)


def contains_folded(column, text: str):
    """SQL condition: ``column`` contains ``text``, ignoring case and accents; % and _ literal."""
    return fold(column).contains(fold_text(text), autoescape=True)
