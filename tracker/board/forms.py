"""The board's filter form: a GET form that works without JavaScript and keeps its values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField

from tracker.board.services import MAX_QUERY_LENGTH, BoardFilters
from tracker.postings.display import CONTRACT_LABELS


def _clean(text: str | None) -> str:
    """Typed text without control characters (PostgreSQL refuses NUL in a string)."""
    return "".join(ch for ch in (text or "") if ch.isprintable() or ch == " ").strip()


class BoardFilterForm(FlaskForm):
    """Field names are the query-string parameters: ``/?q=&organisation=&contrat=&lieu=``.

    Bad values never fail the page: an unknown organisation or contract type is ignored
    (see :meth:`filters`). Build it with ``formdata=request.args``.
    """

    class Meta:
        csrf = False  # a search, not a change: nothing to protect, and the URL stays clean

    q = SearchField(
        _l("Search"),
        render_kw={"maxlength": MAX_QUERY_LENGTH, "autocomplete": "off"},
    )
    organisation = SelectField(_l("Organisation"), choices=[], default="")
    contrat = SelectField(_l("Contract"), choices=[], default="")
    lieu = StringField(
        _l("Place"),
        render_kw={
            "list": "board-places",
            "maxlength": 120,
            "autocomplete": "off",
            "placeholder": _l("City or postal code"),
        },
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = [("", _l("All organisations"))] + [
            (org.slug, org.name) for org in organisations
        ]
        self.contrat.choices = [("", _l("All contracts"))] + [
            (kind.value, label) for kind, label in CONTRACT_LABELS.items()
        ]

    def filters(self) -> BoardFilters:
        """The filters to apply; values that are not among the choices are dropped."""
        self.validate()
        for field in (self.organisation, self.contrat):
            if field.errors:
                field.data = ""
                field.errors = []
        organisation = self.organisation.data
        contract = self.contrat.data
        return BoardFilters(
            q=_clean(self.q.data)[:MAX_QUERY_LENGTH],
            organisation=organisation or "",
            contract=contract or "",
            place=_clean(self.lieu.data)[:120],
        )

    @staticmethod
    def query_args(filters: BoardFilters) -> dict[str, str]:
        """The query-string arguments that reproduce ``filters`` (for pagination links)."""
        args = {
            "q": filters.q,
            "organisation": filters.organisation,
            "contrat": filters.contract,
            "lieu": filters.place,
        }
        return {name: value for name, value in args.items() if value}
