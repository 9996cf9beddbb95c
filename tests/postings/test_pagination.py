"""Back-office lists page through long lists, keep their filters, and survive odd page numbers."""

import re

from tests import factories
from tests.postings.support import EN, make_org
from tracker.accounts.models import Organisation
from tracker.db import db
from tracker.postings.models import PostingStatus


def test_offers_list_pages_keep_the_status_filter(app, client, login):
    with app.app_context():
        org = make_org()
        organisation = db.session.get(Organisation, org.id)
        for _ in range(5):
            factories.posting(organisation, status=PostingStatus.PUBLISHED)
        db.session.commit()
    login(org.admin_email)
    app.config["ADMIN_PAGE_SIZE"] = 2
    try:
        first = client.get(org.url("?statut=published"), headers=EN).get_data(as_text=True)
        assert "Page 1 of 3" in first
        next_link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
        assert "statut=published" in next_link and "page=2" in next_link
        second = client.get(next_link.replace("&amp;", "&"), headers=EN).get_data(as_text=True)
        assert "Page 2 of 3" in second
        for odd in ("0", "-3", "abc", "9" * 40):
            response = client.get(org.url(f"?page={odd}"), headers=EN)
            assert response.status_code == 200, odd
    finally:
        app.config["ADMIN_PAGE_SIZE"] = 50
