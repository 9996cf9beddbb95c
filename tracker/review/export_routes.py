"""For the hiring committee: CSV and XLSX exports, dossier PDFs.

Any member who can see the offer (an admin of the organisation, a lead who reviews it) may
export its applications and print dossiers; everything else is a 404 (tracker.review.access).
Files are personal data: never cached, never sniffed, named in ASCII.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, url_for
from flask_login import current_user

from tracker.accounts.rules import org_required
from tracker.review import dossier as dossiers
from tracker.review import exports
from tracker.review.access import application_or_404, application_page_options, posting_or_404

bp = Blueprint("exports", __name__, url_prefix="/gestion/<org_slug>")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    response = Response(content, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/offres/<int:posting_id>/candidatures.csv")
@org_required()
def csv(posting_id: int):
    posting = posting_or_404(posting_id)
    table = exports.export_table(posting, current_user)
    return attachment(exports.to_csv(table), CSV_TYPE, exports.export_filename(posting, "csv"))


@bp.get("/offres/<int:posting_id>/candidatures.xlsx")
@org_required()
def xlsx(posting_id: int):
    posting = posting_or_404(posting_id)
    table = exports.export_table(posting, current_user)
    return attachment(exports.to_xlsx(table), XLSX_TYPE,
                      exports.export_filename(posting, "xlsx"))


@bp.get("/candidatures/<int:application_id>/dossier.pdf")
@org_required()
def dossier(application_id: int):
    application = application_or_404(application_id, *application_page_options())
    content = dossiers.application_dossier_pdf(application, current_user)
    return attachment(content, "application/pdf", dossiers.dossier_filename(application))


@bp.get("/offres/<int:posting_id>/dossier.pdf")
@org_required()
def shortlist(posting_id: int):
    posting = posting_or_404(posting_id)
    content = dossiers.shortlist_pdf(posting, current_user)
    return attachment(content, "application/pdf", dossiers.shortlist_filename(posting))


@bp.app_context_processor
def export_links():
    """``export_links(posting)`` and ``dossier_link(application)`` for the list and page."""

    def links_for_posting(posting) -> dict:
        slug = g.organisation.slug if g.get("organisation") else posting.organisation.slug
        return {
            "csv": url_for("exports.csv", org_slug=slug, posting_id=posting.id),
            "xlsx": url_for("exports.xlsx", org_slug=slug, posting_id=posting.id),
            "shortlist": url_for("exports.shortlist", org_slug=slug, posting_id=posting.id),
        }

    def link_for_application(application) -> str:
        slug = g.organisation.slug if g.get("organisation") else application.organisation.slug
        return url_for("exports.dossier", org_slug=slug, application_id=application.id)

    return {"export_links": links_for_posting, "dossier_link": link_for_application}
