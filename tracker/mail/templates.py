"""Email templates: per organisation and language, with placeholders.

Each kind of email has a default template in French and English shipped with the project
(``tracker/mail/defaults/<locale>/<kind>.txt``: a first line ``Subject: ...``, a blank line,
the body) that an organisation may replace by its own (MessageTemplate rows).

Templates are Jinja in a sandbox, without autoescape (the text is plain text); the context holds
only the placeholders listed in KINDS, all strings (an empty string for "no"), and an unknown
placeholder is an error, never a silent blank. The HTML part is made from the rendered text:
escaped, paragraphs, lists for lines starting with "- ", links made clickable.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from tracker.db import db
from tracker.mail.models import MessageTemplate

if TYPE_CHECKING:
    from tracker.applications.models import Application

log = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
SUBJECT_MAX_LENGTH = 300
BODY_MAX_LENGTH = 20000


# The placeholders of every email to a candidate about their application
# (candidate_context() gives their values).
CANDIDATE_PLACEHOLDERS = ("candidate_first_name", "candidate_last_name", "reference",
                          "posting_title", "organisation_name")


def candidate_context(application: Application) -> dict[str, str]:
    """The values of CANDIDATE_PLACEHOLDERS for ``application``."""
    candidate = application.candidate
    return {
        "candidate_first_name": candidate.first_name,
        "candidate_last_name": candidate.last_name,
        "reference": application.reference,
        "posting_title": application.posting.title,
        "organisation_name": application.organisation.name,
    }


class Kind(NamedTuple):
    label: object  # a lazy string
    placeholders: tuple[str, ...]
    # Set when the email goes out under a subject that the template does not decide (the
    # notification uses the offer's required subject line): says so in the editor.
    fixed_subject: object | None = None


# kind -> Kind(label for the editor, placeholders the context provides, fixed subject note)
KINDS: dict[str, Kind] = {
    "application.acknowledgement": Kind(
        _l("Acknowledgement to the candidate"),
        (*CANDIDATE_PLACEHOLDERS, "deadline", "private_link", "answer_promise"),
    ),
    "application.acknowledgement_update": Kind(
        _l("Acknowledgement of a new version of an application"),
        (*CANDIDATE_PLACEHOLDERS, "deadline", "private_link", "version", "answer_promise"),
    ),
    "application.notification": Kind(
        _l("New application, to the offer's contacts"),
        ("candidate_name", "candidate_email", "candidate_phone", "reference", "posting_title",
         "organisation_name", "message", "letter_text", "documents", "backoffice_link",
         "version", "channel"),
        _l("This email goes out under the offer's required subject line followed by the "
           "candidate's name (for example “Candidature chargé de mission – Léa MARTIN”), so "
           "that it can be filed and found the way the offer says. Only the body is yours."),
    ),
    "application.withdrawn": Kind(
        _l("Application withdrawn, to the offer's contacts"),
        ("candidate_name", "reference", "posting_title", "organisation_name", "backoffice_link"),
    ),
    "answer.retained": Kind(
        _l("Answer to a candidate who is hired"),
        CANDIDATE_PLACEHOLDERS,
    ),
    "answer.not_retained": Kind(
        _l("Answer to a candidate who is not retained"),
        (*CANDIDATE_PLACEHOLDERS, "reason"),
    ),
    "interview.invitation": Kind(
        _l("Interview invitation, to the candidate"),
        (*CANDIDATE_PLACEHOLDERS, "interview_day", "interview_time", "interview_duration",
         "interview_place", "interview_video_url", "interview_note"),
    ),
    "interview.update": Kind(
        _l("Interview changed, to the candidate"),
        (*CANDIDATE_PLACEHOLDERS, "interview_day", "interview_time", "interview_duration",
         "interview_place", "interview_video_url", "interview_note"),
    ),
    "interview.cancellation": Kind(
        _l("Interview cancelled, to the candidate"),
        (*CANDIDATE_PLACEHOLDERS, "interview_day", "interview_time"),
    ),
    "interview.reviewer": Kind(
        _l("Interview invitation, change or cancellation, to the reviewers taking part"),
        ("what", "candidate_name", "reference", "posting_title", "organisation_name",
         "interview_day", "interview_time", "interview_duration", "interview_place",
         "interview_video_url", "interview_note", "participants", "backoffice_link"),
    ),
    # --- Reminders (tracker.reminders); every reminder email ends with a line, outside the
    # template, linking to the recipient's notification settings.
    "reminder.deadline_approaching": Kind(
        _l("Reminder: an offer's deadline is approaching, to its admins and contacts"),
        ("recipient_name", "posting_title", "organisation_name", "deadline", "time_left",
         "application_count", "backoffice_link"),
    ),
    "reminder.deadline_reached": Kind(
        _l("Reminder: an offer closed at its deadline, summary to its contacts"),
        ("recipient_name", "posting_title", "organisation_name", "deadline",
         "application_count", "reviewed_count", "unreviewed_count", "backoffice_link"),
    ),
    "reminder.reviews_pending": Kind(
        _l("Reminder: applications still to review, to each reviewer"),
        ("recipient_name", "posting_title", "organisation_name", "unreviewed_count",
         "applications", "reminder_number", "backoffice_link"),
    ),
    "reminder.unanswered": Kind(
        _l("Reminder: candidates still without an answer, to the offer's contacts"),
        ("recipient_name", "posting_title", "organisation_name", "unanswered_count",
         "answer_promise", "answers_link"),
    ),
    "reminder.digest": Kind(
        _l("Daily digest of notifications"),
        ("recipient_name", "organisation_name", "digest_date", "items"),
    ),
    "reminder.interview_tomorrow": Kind(
        _l("Reminder: an interview tomorrow, to the reviewers taking part"),
        ("recipient_name", "candidate_name", "reference", "posting_title", "organisation_name",
         "interview_day", "interview_time", "interview_duration", "interview_place",
         "interview_video_url", "backoffice_link"),
    ),
    "reminder.interview_tomorrow_candidate": Kind(
        _l("Reminder: an interview tomorrow, to the candidate"),
        (*CANDIDATE_PLACEHOLDERS, "interview_day", "interview_time", "interview_duration",
         "interview_place", "interview_video_url", "interview_note"),
    ),
    "reminder.start_date": Kind(
        _l("Reminder: a recruited candidate starts soon, to the offer's contacts"),
        ("recipient_name", "candidate_name", "reference", "posting_title", "organisation_name",
         "start_day", "backoffice_link"),
    ),
}

# URL segment of each kind in the template editor (French URLs).
KIND_SLUGS = {
    "application.acknowledgement": "accuse-de-reception",
    "application.acknowledgement_update": "accuse-de-reception-nouvel-envoi",
    "application.notification": "nouvelle-candidature",
    "application.withdrawn": "candidature-retiree",
    "answer.retained": "reponse-retenu",
    "answer.not_retained": "reponse-non-retenu",
    "interview.invitation": "entretien-invitation",
    "interview.update": "entretien-modification",
    "interview.cancellation": "entretien-annulation",
    "interview.reviewer": "entretien-evaluateurs",
    "reminder.deadline_approaching": "rappel-date-limite-proche",
    "reminder.deadline_reached": "rappel-offre-close",
    "reminder.reviews_pending": "rappel-avis-a-donner",
    "reminder.unanswered": "rappel-sans-reponse",
    "reminder.digest": "resume-quotidien",
    "reminder.interview_tomorrow": "rappel-entretien-demain",
    "reminder.interview_tomorrow_candidate": "rappel-entretien-demain-candidat",
    "reminder.start_date": "rappel-prise-de-poste",
}
KIND_BY_SLUG = {slug: kind for kind, slug in KIND_SLUGS.items()}

# What each placeholder holds, for the editor, with a sample value per language (previews and
# validation render templates with these).
PLACEHOLDERS: dict[str, tuple[object, dict[str, str]]] = {
    "candidate_first_name": (_l("The candidate's first name"), {"fr": "Léa", "en": "Léa"}),
    "candidate_last_name": (_l("The candidate's last name"), {"fr": "Martin", "en": "Martin"}),
    "candidate_name": (
        _l("The candidate's first name and LAST NAME"), {"fr": "Léa MARTIN", "en": "Léa MARTIN"}
    ),
    "candidate_email": (
        _l("The candidate's email address"),
        {"fr": "lea.martin@example.com", "en": "lea.martin@example.com"},
    ),
    "candidate_phone": (
        _l("The candidate's phone number (empty if not given)"),
        {"fr": "06 12 34 56 78", "en": "06 12 34 56 78"},
    ),
    "reference": (
        _l("The application's reference number"), {"fr": "VAC-2026-00042", "en": "VAC-2026-00042"}
    ),
    "posting_title": (
        _l("The offer's title"),
        {"fr": "Chargé·e de mission conseils citoyens",
         "en": "Chargé·e de mission conseils citoyens"},
    ),
    "organisation_name": (
        _l("Your organisation's name"), {"fr": "Villes au carré", "en": "Villes au carré"}
    ),
    "deadline": (
        _l("Until when the offer takes applications"),
        {"fr": "jusqu’au 20\u00a0mars\u00a02026 à 23\u00a0h\u00a059",
         "en": "until March 20, 2026 at 11:59\u00a0PM"},
    ),
    "private_link": (
        _l("The candidate's private link (to follow, withdraw or erase the application)"),
        {"fr": "https://emplois.example.org/candidature/WzQyLCJleGVtcGxlIl0",
         "en": "https://emplois.example.org/candidature/WzQyLCJleGVtcGxlIl0"},
    ),
    "answer_promise": (
        _l("Not empty when the offer promises an answer to every candidate"),
        {"fr": "oui", "en": "yes"},
    ),
    "version": (
        _l("Which sending of this candidate for this offer it is: 1, 2, 3…"),
        {"fr": "2", "en": "2"},
    ),
    "message": (
        _l("The candidate's message (may be empty)"),
        {"fr": "Bonjour,\nJe serais ravie d’échanger avec vous sur ce poste.",
         "en": "Hello,\nI would be glad to talk with you about this position."},
    ),
    "letter_text": (
        _l("The cover letter typed in the form, if any"),
        {"fr": "Madame, Monsieur,\n\nAnimatrice de quartier depuis trois ans, je souhaite "
               "mettre mon expérience au service des conseils citoyens.",
         "en": "Dear Sir or Madam,\n\nI have worked as a community organiser for three years "
               "and would like to bring this experience to the citizens' councils."},
    ),
    "documents": (
        _l("The list of documents sent, one per line"),
        {"fr": "- CV\u00a0: CV Léa Martin.pdf (182\u00a0ko)\n"
               "- Lettre de motivation\u00a0: Lettre.odt (41\u00a0ko)",
         "en": "- CV: CV Léa Martin.pdf (182 kB)\n- Cover letter: Letter.odt (41 kB)"},
    ),
    "backoffice_link": (
        _l("The link to the application in the back office"),
        {"fr": "https://emplois.example.org/gestion/villes-au-carre/candidatures/42",
         "en": "https://emplois.example.org/gestion/villes-au-carre/candidatures/42"},
    ),
    "channel": (
        _l("How the application came: form, email or manual"), {"fr": "form", "en": "form"}
    ),
    "reason": (
        _l("Why the candidate is not retained, as recorded (internal: the default template "
           "does not use it)"),
        {"fr": "Un autre profil a été préféré", "en": "Another candidate was preferred"},
    ),
    "interview_day": (
        _l("The day of the interview"),
        {"fr": "mardi 14\u00a0avril\u00a02026", "en": "Tuesday, April 14, 2026"},
    ),
    "interview_time": (
        _l("The time the interview starts (the organisation's time zone)"),
        {"fr": "14\u00a0h\u00a030", "en": "2:30\u00a0PM"},
    ),
    "interview_duration": (
        _l("How long the interview lasts"), {"fr": "45\u00a0minutes", "en": "45 minutes"},
    ),
    "interview_place": (
        _l("Where the interview takes place (may be empty)"),
        {"fr": "12 rue des Lilas, 93200 Saint-Denis", "en": "12 rue des Lilas, 93200 Saint-Denis"},
    ),
    "interview_video_url": (
        _l("The video call link (may be empty)"),
        {"fr": "https://visio.example.org/entretien-42", "en": "https://visio.example.org/entretien-42"},
    ),
    "interview_note": (
        _l("A note for the candidate (may be empty)"),
        {"fr": "Merci de vous présenter à l’accueil.", "en": "Please ask at the front desk."},
    ),
    "what": (
        _l("What happened: “invitation”, “update” or “cancellation” (for {% if %} blocks)"),
        {"fr": "invitation", "en": "invitation"},
    ),
    "participants": (
        _l("The reviewers taking part, one per line"),
        {"fr": "- Camille Durand\n- Sami Benali", "en": "- Camille Durand\n- Sami Benali"},
    ),
    "recipient_name": (
        _l("The name of the person the reminder goes to"),
        {"fr": "Camille Durand", "en": "Camille Durand"},
    ),
    "time_left": (
        _l("How long until the deadline, in words"),
        {"fr": "dans 7\u00a0jours", "en": "in 7 days"},
    ),
    "application_count": (
        _l("How many applications the offer has received"), {"fr": "12", "en": "12"},
    ),
    "reviewed_count": (
        _l("How many applications have at least one review"), {"fr": "9", "en": "9"},
    ),
    "unreviewed_count": (
        _l("How many applications are still to review"), {"fr": "3", "en": "3"},
    ),
    "applications": (
        _l("The applications still to review, one per line"),
        {"fr": "- VAC-26-7K3QX, reçue le 3\u00a0mars\n- VAC-26-9QH2M, reçue le 5\u00a0mars",
         "en": "- VAC-26-7K3QX, received March 3\n- VAC-26-9QH2M, received March 5"},
    ),
    "reminder_number": (
        _l("Which reminder this is: 1, 2, 3…"), {"fr": "2", "en": "2"},
    ),
    "unanswered_count": (
        _l("How many candidates have no answer yet"), {"fr": "5", "en": "5"},
    ),
    "answers_link": (
        _l("The link to the offer's answers page in the back office"),
        {"fr": "https://emplois.example.org/gestion/villes-au-carre/offres/7/reponses",
         "en": "https://emplois.example.org/gestion/villes-au-carre/offres/7/reponses"},
    ),
    "digest_date": (
        _l("The day of the digest"),
        {"fr": "mardi 14\u00a0avril\u00a02026", "en": "Tuesday, April 14, 2026"},
    ),
    "items": (
        _l("What happened since the last digest, one line per item"),
        {"fr": "- Chargé·e de mission conseils citoyens : 2 nouvelles candidatures\n"
               "- Animateur·rice de quartier : date limite dans 7\u00a0jours",
         "en": "- Chargé·e de mission conseils citoyens: 2 new applications\n"
               "- Animateur·rice de quartier: deadline in 7 days"},
    ),
    "start_day": (
        _l("The day the recruited candidate starts"),
        {"fr": "lundi 1er\u00a0juin\u00a02026", "en": "Monday, June 1, 2026"},
    ),
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class TemplateProblem(ValueError):
    """A template that cannot be used; ``str()`` says why, for the editor."""

    def __init__(self, message: str, *, field: str = "body"):
        super().__init__(message)
        self.field = field


_env = SandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


# What a template may contain: text, placeholders, a few harmless filters, conditions. No
# loops, calls, attributes or arithmetic: a template is wording, and one organisation's admin
# must not be able to make the server spin or allocate gigabytes for everyone.
ALLOWED_NODES = (
    nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If, nodes.Filter,
    nodes.Test, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.CondExpr,
    nodes.Concat, nodes.Keyword,
)
SAFE_FILTERS = frozenset({
    "default", "d", "upper", "lower", "capitalize", "title", "trim", "int", "length", "first",
    "last", "replace", "truncate",
})


def _forbidden(node) -> str:
    if isinstance(node, nodes.Filter):
        return "|" + node.name
    if isinstance(node, (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Include,
                         nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block,
                         nodes.Assign, nodes.AssignBlock, nodes.With, nodes.FilterBlock,
                         nodes.Scope)):
        keyword = {"Assign": "set", "AssignBlock": "set", "FilterBlock": "filter",
                   "CallBlock": "call", "FromImport": "from"}.get(type(node).__name__,
                                                                  type(node).__name__.lower())
        return "{% " + keyword + " %}"
    if isinstance(node, (nodes.Call,)):
        return "()"
    if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Slice)):
        return "."
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr) and not isinstance(node, nodes.Not):
        return node.operator
    return type(node).__name__


def check_structure(tree) -> None:
    """Raise TemplateProblem if the parsed template uses more than wording needs."""
    for node in tree.find_all(nodes.Node):
        allowed = isinstance(node, ALLOWED_NODES)
        if allowed and isinstance(node, nodes.Filter) and node.name not in SAFE_FILTERS:
            allowed = False
        if not allowed:
            raise TemplateProblem(_(
                "Line %(line)s: “%(what)s” is not allowed. Templates hold text, placeholders, "
                "filters such as default or upper, and %(if)s blocks.",
                line=getattr(node, "lineno", 1) or 1, what=_forbidden(node),
                **{"if": "{% if %}"},
            ))


@functools.lru_cache(maxsize=256)
def _compile(source: str):
    tree = _env.parse(source)
    check_structure(tree)
    return _env.from_string(tree)


# --- Defaults and the organisation's own ------------------------------------------------------


def normalise_locale(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


@functools.lru_cache(maxsize=64)
def default_template(kind: str, locale: str) -> tuple[str, str]:
    """(subject, body) of the template shipped with the project."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind of email: {kind}")
    path = DEFAULTS_DIR / normalise_locale(locale) / f"{kind}.txt"
    raw = path.read_text(encoding="utf-8")
    first, _newline, rest = raw.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{path}: the first line must be 'Subject: ...'")
    return first[len("Subject:"):].strip(), rest.strip("\n") + "\n"


def organisation_template(organisation, kind: str, locale: str) -> MessageTemplate | None:
    if organisation is None or organisation.id is None:
        return None
    return db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.organisation_id == organisation.id,
            MessageTemplate.kind == kind,
            MessageTemplate.locale == locale,
        )
    )


# --- Rendering ----------------------------------------------------------------------------------


def sample_context(kind: str, locale: str, organisation=None) -> dict[str, str]:
    locale = normalise_locale(locale)
    values = {name: PLACEHOLDERS[name][1][locale] for name in KINDS[kind].placeholders}
    if organisation is not None and "organisation_name" in values:
        values["organisation_name"] = organisation.name
    if kind == "application.notification":
        values["version"] = "1"  # the usual case; the editor's check also tries the others
    return values


def _values(kind: str, context: dict) -> dict[str, str]:
    """Exactly the kind's placeholders, as strings; a missing one is empty."""
    return {
        name: "" if context.get(name) is None else str(context.get(name))
        for name in KINDS[kind].placeholders
    }


def one_line(text: str) -> str:
    """Line breaks and runs of spaces become one space; non-breaking spaces stay."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip(" ")


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip("\n") + "\n"


def render_source(subject: str, body: str, values: dict[str, str]) -> tuple[str, str]:
    """(subject, text) of a template; raises jinja2 errors as they come."""
    rendered_subject = one_line(_compile(subject).render(values))
    rendered_body = _tidy(_compile(body).render(values))
    return rendered_subject, rendered_body


def render_email(organisation, kind: str, locale: str, context: dict[str, str]) -> RenderedEmail:
    """The organisation's template for ``kind`` in ``locale`` (or the default), filled in.

    An unknown locale falls back to French. An organisation's template that fails to render
    (it was checked when saved, but placeholders may change with the code) never costs the
    email: the default template is used instead, and the failure logged.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown kind of email: {kind}")
    locale = normalise_locale(locale)
    values = _values(kind, context)
    custom = organisation_template(organisation, kind, locale)
    if custom is not None:
        try:
            subject, text = render_source(custom.subject, custom.body, values)
        except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
            log.error("template %s/%s of organisation %s failed (%s): using the default",
                      kind, locale, organisation.id, error)
        else:
            return RenderedEmail(subject, text, text_to_html(text, lang=locale, title=subject))
    subject, body = default_template(kind, locale)
    subject, text = render_source(subject, body, values)
    return RenderedEmail(subject, text, text_to_html(text, lang=locale, title=subject))


# --- Checking a template in the editor ---------------------------------------------------------


def check_template(kind: str, locale: str, subject: str, body: str) -> None:
    """Raise TemplateProblem (with the field at fault) unless the template renders.

    Checks the syntax, that every placeholder used is one of the kind's, and renders with the
    sample values and with every value empty (so both sides of each ``{% if %}`` run).
    """
    allowed = set(KINDS[kind].placeholders)
    for field, source in (("subject", subject), ("body", body)):
        try:
            tree = _env.parse(source)
        except TemplateError as error:
            raise TemplateProblem(_syntax_message(error), field=field) from error
        try:
            check_structure(tree)
        except TemplateProblem as problem:
            problem.field = field
            raise
        unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
        if unknown:
            raise TemplateProblem(
                str(_("Unknown placeholder: %(names)s. The placeholders of this email are "
                       "listed beside the form.",
                       names=", ".join("{{ " + name + " }}" for name in unknown))),
                field=field,
            )
    samples = sample_context(kind, locale)
    variants = [samples, {name: "" for name in samples}]
    if "version" in samples:
        variants.append({**samples, "version": "1"})
        variants.append({**samples, "version": "3"})
    for values in variants:
        for field, source in (("subject", subject), ("body", body)):
            try:
                _compile(source).render(values)
            except TemplateError as error:
                raise TemplateProblem(
                    str(_("This template cannot be filled in: %(error)s", error=str(error))),
                    field=field,
                ) from error
            except (ArithmeticError, TypeError, ValueError) as error:
                raise TemplateProblem(
                    str(_("This template cannot be filled in: %(error)s", error=str(error))),
                    field=field,
                ) from error


def _syntax_message(error: TemplateError) -> str:
    """Jinja's message in words an administrator can act on (the common cases translated)."""
    line = getattr(error, "lineno", None) or 1
    detail = getattr(error, "message", None) or str(error)
    if detail.startswith("Unexpected end of template"):
        block = re.search(r"innermost block that needs to be closed is '(\w+)'", detail)
        name = block.group(1) if block else "if"
        return _("Line %(line)s: the text ends before a block is closed; every %(open)s needs "
                 "its %(close)s.", line=line, open="{% " + name + " … %}",
                 close="{% end" + name + " %}")
    unknown = re.match(r"Encountered unknown tag '(\w+)'", detail)
    if unknown:
        return _("Line %(line)s: %(tag)s is not an instruction that templates know, or it has "
                 "no block to close.", line=line, tag="{% " + unknown.group(1) + " %}")
    return _("Template syntax error on line %(line)s: %(error)s", line=line, error=detail)


# --- The HTML part ------------------------------------------------------------------------------

_LINK = re.compile(
    r"(?P<url>https?://[^\s<>\"']+)"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_TRAILING = ".,;:!?)»\u00a0"

FONT = ("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "sans-serif")
STYLE_BODY = "margin:0;padding:0;background:#f3f4f6;"
STYLE_BOX = (f"max-width:38em;margin:0 auto;padding:24px 20px;background:#ffffff;"
             f"font-family:{FONT};font-size:16px;line-height:1.55;color:#1f2933;")
STYLE_P = "margin:0 0 1em;"
STYLE_UL = "margin:0 0 1em;padding-left:1.4em;"
STYLE_A = "color:#1d4e89;text-decoration:underline;word-break:break-all;"


def _linkify(line: str) -> str:
    out = []
    position = 0
    for match in _LINK.finditer(line):
        out.append(html.escape(line[position:match.start()], quote=False))
        found = match.group(0)
        trailing = ""
        if match.group("url"):
            while found and found[-1] in _TRAILING:
                trailing = found[-1] + trailing
                found = found[:-1]
            href = found
        else:
            href = "mailto:" + found
        out.append(f'<a href="{html.escape(href)}" style="{STYLE_A}">'
                   f"{html.escape(found, quote=False)}</a>")
        out.append(html.escape(trailing, quote=False))
        position = match.end()
    out.append(html.escape(line[position:], quote=False))
    return "".join(out)


def _block(lines: list[str]) -> str:
    if all(line.startswith("- ") for line in lines):
        items = "".join(f'<li>{_linkify(line[2:])}</li>' for line in lines)
        return f'<ul style="{STYLE_UL}">{items}</ul>'
    # A paragraph that ends with a list ("Documents:" then "- ..." lines).
    first_item = next((i for i, line in enumerate(lines) if line.startswith("- ")), None)
    if first_item and all(line.startswith("- ") for line in lines[first_item:]):
        return _block(lines[:first_item]) + _block(lines[first_item:])
    return f'<p style="{STYLE_P}">' + "<br>\n".join(_linkify(line) for line in lines) + "</p>"


def text_to_html(text: str, *, lang: str = DEFAULT_LOCALE, title: str = "") -> str:
    """A simple, readable HTML version of a plain-text email."""
    blocks = [b for b in re.split(r"\n[ \t]*\n", text.strip("\n")) if b.strip()]
    body = "\n".join(_block(block.split("\n")) for block in blocks)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title, quote=False)}</title>\n</head>\n"
        f'<body style="{STYLE_BODY}">\n<div style="{STYLE_BOX}">\n{body}\n</div>\n'
        "</body>\n</html>\n"
    )


# --- Helpers for the code that fills templates in ------------------------------------------------


def size_text(size: int, locale: str) -> str:
    """182 ko / 182 kB, 1,4 Mo / 1.4 MB."""
    from babel.numbers import format_decimal

    locale = normalise_locale(locale)
    kilo, mega = ("ko", "Mo") if locale == "fr" else ("kB", "MB")
    space = "\u00a0" if locale == "fr" else " "
    if size < 1000 * 1000:
        return f"{max(1, round(size / 1000))}{space}{kilo}"
    return f"{format_decimal(round(size / 1_000_000, 1), locale=locale)}{space}{mega}"


DOCUMENT_KIND_LABELS = {
    "fr": {"cv": "CV", "letter": "Lettre de motivation", "other": "Autre document"},
    "en": {"cv": "CV", "letter": "Cover letter", "other": "Other document"},
}


def document_lines(documents, locale: str, *, names: bool = True) -> str:
    """The ``documents`` placeholder: '- CV : CV Léa Martin.pdf (182 ko)', one per line; without
    ``names`` (anonymised screening, file names often name the candidate): '- CV (PDF, 182 ko)'."""
    locale = normalise_locale(locale)
    colon = "\u00a0:" if locale == "fr" else ":"
    labels = DOCUMENT_KIND_LABELS[locale]
    if not names:
        return "\n".join(
            f"- {labels.get(d.kind, labels['other'])} "
            f"({_file_type(d.filename)}{size_text(d.size, locale)})"
            for d in documents
        )
    return "\n".join(
        f"- {labels.get(d.kind, labels['other'])}{colon} {d.filename} "
        f"({size_text(d.size, locale)})"
        for d in documents
    )


def _file_type(filename: str) -> str:
    """'PDF, ' for 'cv.pdf'; '' for a name without an extension."""
    extension = filename.rpartition(".")[2] if "." in filename else ""
    return f"{extension.upper()[:8]}, " if extension.isalnum() else ""
