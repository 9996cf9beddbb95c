"""Organisation settings: what the organisation says about itself, and its logo."""

from __future__ import annotations

import io

import pytest

from tests.accounts.helpers import events, field_error, jpeg_bytes, png_bytes, text
from tracker.accounts.models import Organisation
from tracker.db import db

URL = "/gestion/villes-au-carre/organisation"

VALID = {
    "name": "Villes au carré",
    "presentation": "Centre de ressources **politique de la ville**.",
    "address": "8 rue de la Préfecture",
    "postal_code": "37000",
    "city": "Tours",
    "website": "https://www.villesaucarre.example.org/",
    "email": "contact@example.org",
    "timezone": "Europe/Paris",
    "locale": "fr",
    "attach_documents": "y",
    "retention_months": "24",
}


def _org(app, team):
    with app.app_context():
        org = db.session.get(Organisation, team.org_id)
        values = {name: getattr(org, name) for name in VALID}
        values["logo"] = org.logo
        values["logo_media_type"] = org.logo_media_type
        return values


def _post(client, **changes):
    data = {**VALID, **changes}
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_settings_page_shows_current_values(client, team, login):
    login(team.admin_email)
    response = client.get(URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Villes au carré"' in page
    assert 'value="contact' in page
    assert '<option selected value="Europe/Paris">Europe/Paris</option>' in page
    assert '<option value="America/Guadeloupe">America/Guadeloupe</option>' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/png,image/jpeg"' in page
    assert "No logo yet." in text(page)


def test_settings_are_admin_only(client, team, login):
    login(team.lead_email)
    assert client.get(URL).status_code == 403
    assert _post(client, name="Hijacked").status_code == 403


def test_settings_save_every_field_and_record_the_change(app, client, team, login):
    login(team.admin_email)
    response = _post(client, timezone="America/Cayenne", locale="en",
                     website="www.villesaucarre.example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    saved = _org(app, team)
    assert saved == {**VALID, "timezone": "America/Cayenne", "locale": "en",
                     "website": "https://www.villesaucarre.example.org",
                     "attach_documents": True, "retention_months": 24,
                     "logo": None, "logo_media_type": None}
    with app.app_context():
        [event] = events()
        assert (event.action, event.object_type, event.object_id, event.actor_id) == (
            "organisation.edit", "organisation", team.org_id, team.admin_id)
        assert event.data == {"fields": ["address", "email", "locale", "postal_code",
                                         "presentation", "timezone", "website"]}
    page = client.get(URL).get_data(as_text=True)
    assert "The organisation's settings have been saved." in text(page)


def test_settings_saved_unchanged_records_nothing(app, client, team, login):
    login(team.admin_email)
    _post(client)
    with app.app_context():
        count = len(events())
    _post(client)
    with app.app_context():
        assert len(events()) == count
    assert "Nothing to save" in text(client.get(URL).get_data(as_text=True))


def test_settings_rename_keeps_the_slug(app, client, team, login):
    login(team.admin_email)
    _post(client, name="Villes au carré – Centre-Val de Loire")
    with app.app_context():
        org = db.session.get(Organisation, team.org_id)
        assert (org.name, org.slug) == ("Villes au carré – Centre-Val de Loire", "villes-au-carre")


@pytest.mark.parametrize("changes, field, message", [
    ({"name": ""}, "name", "Enter the organisation's name."),
    ({"name": "   "}, "name", "Enter the organisation's name."),
    ({"name": "N" * 201}, "name", "The name has at most 200 characters."),
    ({"email": "contact-at-example.org"}, "email",
     "Enter a valid email address, like contact@example.org."),
    ({"website": "javascript:alert(1)"}, "website",
     "Enter a web address starting with https://, like https://www.example.org."),
    ({"website": "ftp://files.example.org"}, "website",
     "Enter a web address starting with https://, like https://www.example.org."),
    ({"website": "https://not a site"}, "website",
     "Enter a web address starting with https://, like https://www.example.org."),
    ({"website": "localhost"}, "website",
     "Enter a web address starting with https://, like https://www.example.org."),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
    ({"timezone": ""}, "timezone", "Choose a time zone."),
    ({"locale": "de"}, "locale", "Choose a language from the list."),
    ({"postal_code": "1" * 21}, "postal_code", "A postal code has at most 20 characters."),
    ({"city": "C" * 121}, "city", "A city has at most 120 characters."),
])
def test_settings_bad_input_is_tied_to_field(app, client, team, login, changes, field, message):
    login(team.admin_email)
    before = _org(app, team)
    response = _post(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, field) == message
    assert _org(app, team) == before


def test_settings_post_with_nothing_sent_does_not_crash(app, client, team, login):
    login(team.admin_email)
    before = _org(app, team)
    response = client.post(URL, data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "timezone") == "Choose a time zone."
    assert field_error(page, "locale") == "Choose a language."
    assert _org(app, team) == before


def test_logo_png_is_stored(app, client, team, login):
    login(team.admin_email)
    data = png_bytes()
    response = _post(client, logo=(io.BytesIO(data), "logo.png", "image/png"))
    assert response.status_code == 302
    saved = _org(app, team)
    assert (saved["logo"], saved["logo_media_type"]) == (data, "image/png")
    with app.app_context():
        assert events()[-1].data == {"fields": ["address", "email", "logo", "postal_code",
                                                "presentation", "website"]}
    page = client.get(URL).get_data(as_text=True)
    assert 'src="/organisations/villes-au-carre/logo"' in page
    assert 'name="remove_logo"' in page


def test_logo_type_is_read_from_content_not_name(app, client, team, login):
    login(team.admin_email)
    data = jpeg_bytes()
    response = _post(client, logo=(io.BytesIO(data), "logo.txt", "text/plain"))
    assert response.status_code == 302
    saved = _org(app, team)
    assert (saved["logo"], saved["logo_media_type"]) == (data, "image/jpeg")


LOGO_TYPE_ERROR = "The logo must be a PNG or JPEG image; this file is of another kind."
LOGO_DAMAGED = "The logo file is damaged and cannot be read. Export it again and retry."


def _gif() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize("content, filename, message", [
    (b"", "logo.png", "The file you chose is empty."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png", LOGO_TYPE_ERROR),
    (b"%PDF-1.7 not an image", "logo.jpg", LOGO_TYPE_ERROR),
    (_gif(), "logo.gif", LOGO_TYPE_ERROR),
    (png_bytes()[:60], "logo.png", LOGO_DAMAGED),
    (jpeg_bytes()[:200], "logo.jpg", LOGO_DAMAGED),
    (jpeg_bytes()[:-2], "logo.jpg", LOGO_DAMAGED),
    (png_bytes()[:-12], "logo.png", LOGO_DAMAGED),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "logo.png", LOGO_DAMAGED),
    (png_bytes(size=(6000, 10)), "wide.png",
     "The logo is too large: at most 5000 pixels wide and high."),
])
def test_bad_logo_is_refused_with_a_clear_message(app, client, team, login, content, filename,
                                                  message):
    login(team.admin_email)
    response = _post(client, logo=(io.BytesIO(content), filename, "image/png"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "logo") == message
    assert _org(app, team)["logo"] is None


def test_logo_over_the_size_limit_is_refused(app, client, team, login):
    login(team.admin_email)
    data = png_bytes(size=(300, 300))
    limit = app.config["LOGO_MAX_BYTES"]
    app.config["LOGO_MAX_BYTES"] = len(data) - 1
    try:
        response = _post(client, logo=(io.BytesIO(data), "logo.png", "image/png"))
    finally:
        app.config["LOGO_MAX_BYTES"] = limit
    assert response.status_code == 200
    message = field_error(response.get_data(as_text=True), "logo")
    assert message == f"The logo is too large: the limit is {(len(data) - 1) // 1024} KB."
    assert _org(app, team)["logo"] is None


def test_logo_is_kept_when_no_file_is_chosen(app, client, team, login):
    login(team.admin_email)
    data = png_bytes()
    _post(client, logo=(io.BytesIO(data), "logo.png", "image/png"))
    _post(client, city="Orléans")
    saved = _org(app, team)
    assert (saved["logo"], saved["city"]) == (data, "Orléans")


def test_logo_can_be_removed(app, client, team, login):
    login(team.admin_email)
    _post(client, logo=(io.BytesIO(png_bytes()), "logo.png", "image/png"))
    response = _post(client, remove_logo="y")
    assert response.status_code == 302
    saved = _org(app, team)
    assert (saved["logo"], saved["logo_media_type"]) == (None, None)
    with app.app_context():
        assert events()[-1].data == {"fields": ["logo"]}


def test_new_logo_wins_over_remove(app, client, team, login):
    login(team.admin_email)
    _post(client, logo=(io.BytesIO(png_bytes()), "logo.png", "image/png"))
    data = jpeg_bytes()
    _post(client, remove_logo="y", logo=(io.BytesIO(data), "new.jpg", "image/jpeg"))
    assert _org(app, team)["logo"] == data
