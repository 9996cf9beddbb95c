"""People's notification choices and organisations' reminder settings (services)."""

from __future__ import annotations

import pytest

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db
from tracker.reminders.models import (
    NotificationKind,
    NotificationMode,
    NotificationPreference,
    ReminderSettings,
)
from tracker.reminders.preferences import (
    allowed_modes,
    default_settings,
    effective_mode,
    mode_for,
    modes_for,
    preferences_of,
    set_preferences,
    settings_by_organisation,
    settings_for,
)

K, M = NotificationKind, NotificationMode


def test_no_choice_means_each_time(app):
    with app.app_context():
        user = factories.user(factories.organisation(), Role.LEAD)
        assert preferences_of(user.id) == {kind: M.EACH for kind in K}
        assert mode_for(user.id, K.UNANSWERED) == M.EACH


def test_choices_are_stored_and_read_in_one_query(app, queries):
    with app.app_context():
        org = factories.organisation()
        a, b, c = (factories.user(org, Role.LEAD) for _ in range(3))
        assert set_preferences(a.id, {K.NEW_APPLICATION: M.DIGEST}) == [K.NEW_APPLICATION]
        assert set_preferences(b.id, {"new_application": "never"}) == [K.NEW_APPLICATION]
        # Choosing what is already in force changes nothing.
        assert set_preferences(b.id, {K.NEW_APPLICATION: M.NEVER}) == []
        ids = a.id, b.id, c.id
        db.session.commit()
        with queries() as counted:
            modes = modes_for([*ids, None], K.NEW_APPLICATION)
        assert modes == {ids[0]: M.DIGEST, ids[1]: M.NEVER, ids[2]: M.EACH}
        assert counted() == 1
        assert db.session.get(NotificationPreference, (ids[0], "new_application")).mode == "digest"


def test_the_closing_summary_cannot_be_refused(app):
    assert M.NEVER not in allowed_modes(K.DEADLINE_REACHED)
    assert allowed_modes(K.REVIEWS_PENDING) == (M.EACH, M.DIGEST, M.NEVER)
    # A "never" stored before the rule changed still reads as "each time".
    assert effective_mode(K.DEADLINE_REACHED, "never") == M.EACH
    assert effective_mode(K.DEADLINE_REACHED, "digest") == M.DIGEST
    with app.app_context():
        user = factories.user(factories.organisation(), Role.LEAD)
        with pytest.raises(ValueError):
            set_preferences(user.id, {K.DEADLINE_REACHED: M.NEVER})
        with pytest.raises(ValueError):
            set_preferences(user.id, {"no_such_kind": M.NEVER})


def test_settings_default_without_a_row_and_rows_win(app, queries):
    with app.app_context():
        org, other = factories.organisation(), factories.organisation()
        defaults = settings_for(org.id)
        assert defaults not in db.session  # transient: nothing saved by reading
        assert (defaults.send_hour, defaults.deadline_days, defaults.reviews_after_days,
                defaults.reviews_repeat_days, defaults.reviews_max,
                defaults.unanswered_after_days, defaults.unanswered_repeat_days) == (
            8, [7, 1], 3, 7, 3, 14, 7)
        assert defaults.start_enabled is False and defaults.interview_to_candidate is False
        # Each default list is its own object (no shared mutable default).
        assert default_settings(org.id).deadline_days is not defaults.deadline_days
        org_id, other_id = org.id, other.id
        db.session.add(ReminderSettings(organisation_id=other_id, send_hour=9,
                                        deadline_days=[10, 2]))
        db.session.commit()
        with queries() as counted:
            both = settings_by_organisation([org_id, other_id])
        assert counted() == 1
        assert both[org_id].send_hour == 8
        assert (both[other_id].send_hour, both[other_id].deadline_days) == (9, [10, 2])
