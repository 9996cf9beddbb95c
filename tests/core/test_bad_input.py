"""Bad input never ends in a 500: every form of the site, filled with junk, as a member.

For each URL that accepts POST, the walk reads the fields of the forms its GET page shows
(inputs, selects, textareas, file inputs) and posts them filled with hostile values: too long,
markup, control characters, impossible dates and numbers, wrong files. Public pages get junk
query strings. Each answer must be a page (2xx, 3xx or 4xx), never a server error.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser

from tests.core.test_authorisation import (
    FILLERS,
    World,
    build_url,
    build_world,
    logged_in,
)

JUNK_VALUES = {
    "long": "x" * 20_000,
    "markup": "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>",
    "control": "a\x00b\x1bc\u202e\ufffe",
    "dates": "2020-13-45",
    "numbers": "-99999999999999999999.5e400",
    "empty": "",
}


class FormFields(HTMLParser):
    """Names of the fields of every form on a page, with their types."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if not name or name == "csrf_token":
            return
        if tag == "input":
            self.fields.setdefault(name, attrs.get("type", "text"))
        elif tag in ("select", "textarea"):
            self.fields.setdefault(name, tag)


def junk_payload(fields: dict[str, str], value: str) -> dict:
    data = {}
    for name, kind in fields.items():
        if kind == "file":
            data[name] = (io.BytesIO(b"MZ\x90\x00 not what it claims" * 10), "cv.pdf")
        elif kind == "checkbox":
            data[name] = value or "y"
        else:
            data[name] = value
    return data


def post_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods),
        key=lambda r: r.rule,
    )


def test_every_form_survives_junk(app):
    failures = []
    checked = 0
    for rule in post_rules(app):
        world = build_world(app)
        client = logged_in(app, world.admin_a)
        url = build_url(rule, world)
        fields: dict[str, str] = {}
        if "GET" in rule.methods:
            parser = FormFields()
            parser.feed(client.get(url).get_data(as_text=True))
            fields = parser.fields
        for label, value in JUNK_VALUES.items():
            checked += 1
            response = client.post(url, data=junk_payload(fields, value),
                                   content_type="multipart/form-data")
            if response.status_code >= 500:
                failures.append(f"POST {url} ({rule.endpoint}) with {label} values: "
                                f"{response.status_code}")
    assert checked > 0
    assert not failures, "\n".join(failures)


def test_public_pages_survive_junk_query_strings(app, client):
    world: World = build_world(app)
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/gestion"):
            continue
        if set(rule.arguments) - FILLERS.keys():
            continue  # the authorisation walk reports unknown parameters
        url = build_url(rule, world)
        for label, value in JUNK_VALUES.items():
            query = {k: value for k in ("q", "page", "organisation", "contrat", "lieu", "lang",
                                        "next", "status", "sort")}
            response = client.get(url, query_string=query)
            if response.status_code >= 500:
                failures.append(f"GET {url} ({rule.endpoint}) with {label}: "
                                f"{response.status_code}")
    assert not failures, "\n".join(failures)
