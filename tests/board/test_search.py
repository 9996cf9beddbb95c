"""Case- and accent-folding: the same result in Python, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tracker.board.search import fold, fold_text
from tracker.board.services import page_number
from tracker.db import db

SAMPLES = [
    ("ÉNERGIE", "energie"),
    ("Chargé·e de Mission", "charge·e de mission"),
    ("Mise en Œuvre", "mise en oeuvre"),
    ("l’été à Rezé", "l'ete a reze"),
    ("Ça GARÇON Noël", "ca garcon noel"),
    ("100 % _x_", "100 % _x_"),
]


@pytest.mark.parametrize(("text", "folded"), SAMPLES)
def test_fold_text_lowercases_and_strips_accents(text, folded):
    assert fold_text(text) == folded


@pytest.mark.parametrize(("text", "folded"), SAMPLES)
def test_fold_in_sql_matches_python(app, text, folded):
    with app.app_context():
        assert db.session.scalar(sa.select(fold(sa.literal(text)))) == folded


def test_fold_of_null_is_null(app):
    with app.app_context():
        assert db.session.scalar(sa.select(fold(sa.null()))) is None
    assert fold_text(None) is None


@pytest.mark.parametrize(
    ("value", "page"),
    [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-2", 1), ("3", 3), ("10" * 20, 100_000)],
)
def test_page_number_bad_values_fall_back(value, page):
    assert page_number(value) == page
