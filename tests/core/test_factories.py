"""The factories make valid objects (the constraints of the real schema accept them)."""

import hashlib

from tests import factories
from tracker.db import db
from tracker.postings.models import PostingStatus


def test_application_factory_makes_a_complete_application(app):
    with app.app_context():
        org = factories.organisation()
        posting = factories.posting(org, status=PostingStatus.PUBLISHED)
        item = factories.application(posting, email="lea.martin@example.com")
        db.session.commit()
        assert item.candidate.email == "lea.martin@example.com"
        assert item.organisation_id == org.id
        assert [s.version for s in item.submissions] == [1]
        document = item.latest.documents[0]
        assert document.sha256 == hashlib.sha256(factories.MINIMAL_PDF).hexdigest()
        assert document.size == len(factories.MINIMAL_PDF)
