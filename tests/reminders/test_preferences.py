"""The notification settings page (/gestion/notifications)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db
from tracker.reminders.models import NotificationKind, NotificationPreference, ReminderSettings
from tracker.reminders.preferences import preferences_of

EN = {"Accept-Language": "en"}
URL = "/gestion/notifications"
K = NotificationKind
ALL_EACH = {kind.value: "each" for kind in K}


def _member(app, *, send_hour: int | None = None, organisations: int = 1) -> tuple[str, int]:
    with app.app_context():
        user = None
        for n in range(organisations):
            org = factories.organisation(name=f"Centre social {'AB'[n]}")
            if user is None:
                user = factories.user(org, Role.LEAD)
            else:
                from tracker.accounts.models import Membership

                db.session.add(Membership(user=user, organisation=org, role=Role.LEAD))
            if send_hour is not None:
                db.session.add(ReminderSettings(organisation_id=org.id, send_hour=send_hour))
        db.session.commit()
        return user.email, user.id


def _stored(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        return {kind.value: mode.value for kind, mode in preferences_of(user_id).items()}


def _checked(page: str, kind: str) -> list[str]:
    return re.findall(rf'<input checked id="{kind}-\d" name="{kind}" type="radio" '
                      rf'value="(\w+)"', page)


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL, headers=EN)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_page_shows_one_fieldset_per_kind_with_the_current_choice(app, client, login):
    email, user_id = _member(app, send_hour=9)
    with app.app_context():
        db.session.add(NotificationPreference(user_id=user_id, kind="new_application",
                                              mode="digest"))
        db.session.commit()
    login(email)
    response = client.get(URL, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>My notifications</h1>" in page
    for kind in K:
        assert f'<fieldset id="{kind.value}"' in page, kind
    assert _checked(page, "new_application") == ["digest"]
    assert _checked(page, "unanswered") == ["each"]
    assert "<legend>New applications</legend>" in page
    assert "The day before an interview you take part in" in page
    # The closing summary cannot be refused: no "never" button, and the page says why.
    closing = page.split('<fieldset id="deadline_reached"')[1].split("</fieldset>")[0]
    assert 'value="never"' not in closing
    assert "“Never” is not offered" in closing
    reviews = page.split('<fieldset id="reviews_pending"')[1].split("</fieldset>")[0]
    assert re.findall(r'value="(\w+)"', reviews) == ["each", "digest", "never"]
    # Every radio button has its label.
    for radio_id in re.findall(r'<input[^>]* id="([\w-]+)"[^>]*type="radio"', page):
        assert f'<label for="{radio_id}">' in page, radio_id
    assert "go out at 9:00\u202fAM (Centre social A)" in page


def test_send_hours_of_several_organisations(app, client, login):
    email, _user_id = _member(app, organisations=2)
    login(email)
    page = client.get(URL, headers=EN).get_data(as_text=True)
    assert "8:00\u202fAM (Centre social A), 8:00\u202fAM (Centre social B)." in page


def test_choices_are_saved(app, client, login):
    email, user_id = _member(app)
    login(email)
    choices = {**ALL_EACH, "new_application": "digest", "reviews_pending": "never",
               "deadline_reached": "digest"}
    response = client.post(URL, data=choices, headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(URL)
    assert _stored(app, user_id) == choices
    page = client.get(URL, headers=EN).get_data(as_text=True)
    assert "Your choices are saved." in page
    assert _checked(page, "reviews_pending") == ["never"]
    # The same choices again: nothing changes, and the page says so.
    client.post(URL, data=choices, headers=EN)
    page = client.get(URL, headers=EN).get_data(as_text=True)
    assert "Nothing changed" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(
            NotificationPreference)) == len(K)


def test_never_for_the_closing_summary_is_refused(app, client, login):
    email, user_id = _member(app)
    login(email)
    response = client.post(URL, data={**ALL_EACH, "deadline_reached": "never",
                                      "unanswered": "never"}, headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one of the options offered." in page
    assert '<a href="#deadline_reached">Offer closed at its deadline</a>' in page
    # Nothing saved, not even the valid choices.
    assert _stored(app, user_id) == ALL_EACH
    # What was posted stays chosen.
    assert _checked(page, "unanswered") == ["never"]


def test_junk_and_missing_values_are_form_errors(app, client, login):
    email, user_id = _member(app)
    login(email)
    for data in ({}, {"new_application": "weekly"}, {**ALL_EACH, "new_application": "x" * 5000},
                 {**ALL_EACH, "start_date": ["each", "never"]}):
        response = client.post(URL, data=data, headers=EN)
        assert response.status_code in (302, 400), data
    response = client.post(URL, data={}, headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count("Choose how you want to receive this notification.") == 2 * len(K)
    assert 'aria-invalid="true"' in page
    assert _stored(app, user_id) == ALL_EACH


def test_choices_are_per_person(app, client, login):
    email, user_id = _member(app)
    _other_email, other_id = _member(app)
    login(email)
    client.post(URL, data={**ALL_EACH, "unanswered": "never"}, headers=EN)
    assert _stored(app, user_id)["unanswered"] == "never"
    assert _stored(app, other_id) == ALL_EACH


def test_back_office_navigation_links_to_the_page(app, client, login):
    email, _user_id = _member(app)
    with app.app_context():
        from tracker.accounts.models import User

        slug = db.session.scalar(sa.select(User).where(User.email == email)
                                 ).memberships[0].organisation.slug
    login(email)
    page = client.get(f"/gestion/{slug}/offres/", headers=EN).get_data(as_text=True)
    assert f'<a href="{URL}">Notifications</a>' in page
