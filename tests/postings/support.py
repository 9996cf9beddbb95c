"""Helpers shared by the back-office offer tests: an organisation with people, form data."""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

from tests import factories
from tracker.accounts.models import Role
from tracker.db import db

EN = {"Accept-Language": "en"}


@dataclass
class Org:
    id: int
    slug: str
    admin_id: int
    admin_email: str
    admin_name: str
    lead_id: int
    lead_email: str
    lead_name: str

    def url(self, suffix: str = "") -> str:
        return f"/gestion/{self.slug}/offres/{suffix}"


def make_org(timezone: str = "Europe/Paris") -> Org:
    """An organisation with an admin and a hiring lead (call inside an app context)."""
    org = factories.organisation(timezone=timezone)
    admin = factories.user(org, Role.ADMIN, name="Alice Admin")
    lead = factories.user(org, Role.LEAD, name="Léo Lead")
    db.session.flush()
    return Org(org.id, org.slug, admin.id, admin.email, admin.name, lead.id, lead.email,
               lead.name)


def complete_form(lead_id: int) -> dict[str, str]:
    """Every field of the offer form filled in, as a browser would post it."""
    return {
        "title": "Chargé·e d'accompagnement des conseils citoyens",
        "reference": "RV-2030-01",
        "contract_type": "cdd",
        "presentation": "RésO Villes est un **centre de ressources**.",
        "context": "Les conseils citoyens ont été créés par la loi du 24 février 2014.",
        "missions": "- Soutenir le fonctionnement\n  - animer les réunions\n- Être en veille",
        "profile": "- Savoir animer des groupes\n- Bonne maîtrise de l'écrit",
        "diploma": "Master 2 développement local",
        "experience": "Une expérience dans l'animation est un plus",
        "contract_start": "2030-01-10",
        "contract_end": "2031-01-09",
        "duration_min_months": "3",
        "duration_max_months": "12",
        "start_earliest": "2030-01-03",
        "start_latest": "2030-01-10",
        "closure_note": "Fermeture entre le 25 juillet et le 16 août",
        "working_time": "part_time",
        "hours_per_week": "30,5",
        "schedule_note": "Travail possible en soirée et en week-end",
        "city": "Nantes",
        "postal_code": "44000",
        "region": "Pays de la Loire",
        "places": "Nantes et son agglomération",
        "travel": "Déplacements réguliers dans la métropole",
        "remote": "partial",
        "remote_note": "Un jour par semaine",
        "pay_kind": "amount",
        "pay_min": "1 800",
        "pay_max": "2000.50",
        "pay_period": "month",
        "pay_basis": "gross",
        "pay_note": "Selon la convention collective",
        "benefits": "Mutuelle santé, tickets restaurant",
        "collective_agreement": "ECLAT (IDCC 1518)",
        "asks_cv": "y",
        "asks_letter": "y",
        "other_documents": "Un exemple de compte rendu",
        "deadline_date": "2030-03-19",
        "deadline_time": "",
        "subject_line": "Candidature CDD conseils citoyens",
        "accepts_email": "y",
        "answer_promise": "y",
        "source_url": "https://www.example.org/offres/conseils-citoyens",
        "contacts-0-user_id": "",
        "contacts-0-name": "Claire Fontaine",
        "contacts-0-email": "claire.fontaine@example.org",
        "contacts-0-job_title": "Directrice",
        "contacts-0-role": "to",
        "contacts-1-user_id": str(lead_id),
        "contacts-1-name": "",
        "contacts-1-email": "",
        "contacts-1-job_title": "Secrétaire générale",
        "contacts-1-role": "cc",
        "contacts-2-user_id": "",
        "contacts-2-name": "Inès Moreau",
        "contacts-2-email": "ines.moreau@example.net",
        "contacts-2-job_title": "",
        "contacts-2-role": "info",
        # Rows 3 to 5 are left empty, as in the browser.
        **{f"contacts-{i}-{name}": value for i in (3, 4, 5)
           for name, value in (("user_id", ""), ("name", ""), ("email", ""),
                               ("job_title", ""), ("role", "to"))},
    }


class _FormValues(HTMLParser):
    """Collects what a page's form shows: input values, checked boxes, selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.checkboxes: dict[str, bool] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                self.checkboxes[a["name"]] = "checked" in a
            elif a.get("type") not in ("submit", "button"):
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._text = []

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # HTML drops one newline right after <textarea>.
            for newline in ("\r\n", "\n"):
                if text.startswith(newline):
                    text = text[len(newline):]
                    break
            self.values[self._textarea] = text
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_values(page: str) -> tuple[dict[str, str], dict[str, bool]]:
    parser = _FormValues()
    parser.feed(page)
    return parser.values, parser.checkboxes


def text(response) -> str:
    """The page as text with entities decoded, for asserting messages."""
    return html.unescape(response.get_data(as_text=True))


def edit_form_data(client, org: Org, posting_id: int) -> dict[str, str]:
    """What a browser would post back, unchanged, from the offer's edit page."""
    page = client.get(org.url(f"{posting_id}/modifier"), headers=EN)
    values, checkboxes = form_values(page.get_data(as_text=True))
    data = {k: v for k, v in values.items() if k != "csrf_token"}
    data.update({k: "y" for k, ticked in checkboxes.items() if ticked})
    return data
