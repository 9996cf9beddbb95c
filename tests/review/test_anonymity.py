"""What anonymised screening hides: names, address and phone in free text, until the reveal."""

from __future__ import annotations

import pytest

from tests import factories
from tracker.db import db, utcnow
from tracker.postings.models import PostingStatus
from tracker.review import anonymity

LETTER = (
    "Madame, Monsieur,\nJe m'appelle Léa Martin-Dupont et je candidate.\n"
    "Joignable au 06.12.34.56.78, au +33 (0)6 12 34 56 78 ou à lea.martin@example.com "
    "(ou lea.martin@example.net).\nLéa MARTIN-DUPONT"
)


@pytest.fixture
def masked(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED, anonymised=True)
        application = factories.application(posting, first_name="Léa",
                                            last_name="Martin-Dupont", phone="06 12 34 56 78",
                                            email="lea.martin@example.com")
        db.session.commit()
        yield application


def test_mask_text_blanks_names_addresses_and_phone_numbers(masked):
    text = anonymity.mask_text(LETTER, masked)
    for secret in ("Léa", "Martin", "Dupont", "MARTIN", "lea.martin", "06", "12 34", "+33"):
        assert secret not in text, secret
    assert "Madame, Monsieur" in text and "je candidate" in text
    assert text.count(anonymity.MASK) >= 8


def test_mask_text_leaves_words_that_merely_contain_a_name(masked):
    # "Martinique" holds "Martin": only whole words go.
    assert anonymity.mask_text("Un séjour en Martinique.", masked) == "Un séjour en Martinique."


def test_labels_and_text_come_back_after_the_reveal(masked):
    assert anonymity.is_masked(masked)
    assert masked.reference in anonymity.candidate_label(masked)
    masked.revealed_at = utcnow()
    assert not anonymity.is_masked(masked)
    assert anonymity.candidate_label(masked) == "Léa MARTIN-DUPONT"
    assert anonymity.mask_text(LETTER, masked) == LETTER


def test_offers_without_screening_hide_nothing(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        application = factories.application(posting)
        assert not anonymity.is_masked(application)
        assert anonymity.mask_text(LETTER, application) == LETTER
