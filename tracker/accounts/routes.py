"""Accounts: log in and out, the back-office home, members, the organisation, passwords."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from tracker.accounts import services
from tracker.accounts.forms import (
    AddMemberForm,
    ChangePasswordForm,
    LoginForm,
    MemberRoleForm,
    OrganisationForm,
)
from tracker.accounts.models import Membership, Role, User
from tracker.accounts.rules import org_required
from tracker.accounts.services import AccountError
from tracker.db import db
from tracker.extensions import login_manager
from tracker.i18n import is_safe_redirect
from tracker.i18n.formatting import format_clock, format_day, local_time

bp = Blueprint("accounts", __name__)

# Kept across logging in and out: the visitor's language choice, nothing else.
SESSION_KEYS_KEPT = ("lang",)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    # A deactivated account loses its open sessions too, not only the next login.
    return user if user is not None and user.active else None


def _next_url() -> str | None:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else None


def _fresh_session() -> None:
    """Start logged-in life with a new session: nothing from before login carries over."""
    kept = {key: session[key] for key in SESSION_KEYS_KEPT if key in session}
    session.clear()
    session.update(kept)


# --- Logging in and out ----------------------------------------------------------------------


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url() or url_for(".home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            # The same words whether the address is unknown or the password wrong.
            form.form_errors.append(_("Wrong email address or password."))
        elif not user.active:
            # Only said to someone who knows the password.
            form.form_errors.append(
                _("This account has been deactivated. Ask an administrator of your organisation.")
            )
        else:
            _fresh_session()
            login_user(user, remember=bool(form.remember.data))
            services.record_login(user)
            db.session.commit()
            return redirect(_next_url() or url_for(".home"))
    return render_template("accounts/login.html", form=form, next=_next_url())


@bp.post("/deconnexion")
def logout():
    logout_user()
    _fresh_session()
    flash(_("You are logged out."), "success")
    return redirect(url_for("board.index"))


# --- The back-office home ------------------------------------------------------------------


@bp.get("/gestion/")
@login_required
def home():
    memberships = sorted(
        current_user.memberships, key=lambda m: (m.organisation.name.lower(), m.organisation.id)
    )
    if len(memberships) == 1:
        return redirect(url_for("postings.index", org_slug=memberships[0].organisation.slug))
    return render_template("accounts/home.html", memberships=memberships)


# --- Own password --------------------------------------------------------------------------


@bp.route("/gestion/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    valid = form.validate_on_submit()
    # Said at once, even when the new password has a problem too.
    if form.current_password.data and not user.check_password(form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        valid = False
    if valid:
        services.change_password(user, form.new_password.data, actor=user)
        db.session.commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for(".home"))
    return render_template("accounts/change_password.html", form=form)


# --- Members -------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    if moment is None:
        return _("Never")
    local = local_time(moment, g.organisation.timezone)
    return _("%(day)s at %(time)s", day=format_day(local), time=format_clock(local))


def _role_form(membership: Membership, formdata=None) -> MemberRoleForm:
    form = MemberRoleForm(
        formdata=formdata, prefix=f"m{membership.user_id}",
        **({} if formdata is not None else {"role": membership.role}),
    )
    form.role.label.text = _("Role of %(name)s", name=membership.user.display_name)
    return form


def _render_members(add_form: AddMemberForm | None = None,
                    role_form: tuple[int, MemberRoleForm] | None = None,
                    new_account: dict | None = None):
    members = services.members_of(g.organisation)
    rows = []
    for membership in members:
        if role_form is not None and role_form[0] == membership.user_id:
            form = role_form[1]
            form.role.label.text = _("Role of %(name)s", name=membership.user.display_name)
        else:
            form = _role_form(membership)
        rows.append({
            "membership": membership,
            "user": membership.user,
            "last_login": _when(membership.user.last_login_at),
            "role_form": form,
            "is_me": membership.user_id == current_user.id,
        })
    return render_template(
        "accounts/members.html",
        rows=rows,
        add_form=add_form or AddMemberForm(formdata=None),
        new_account=new_account,
        admin_count=sum(1 for m in members if m.role == Role.ADMIN),
    )


@bp.route("/gestion/<org_slug>/membres", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def members():
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            membership, password = services.add_member(
                g.organisation, email=form.email.data, name=form.name.data,
                role=form.role.data, actor=current_user._get_current_object(),
            )
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            if password is None:
                flash(
                    _("%(name)s (%(email)s) already had an account and is now a member.",
                      name=membership.user.display_name, email=membership.user.email),
                    "success",
                )
                return redirect(url_for(".members", org_slug=g.organisation.slug))
            # Rendered straight away, never stored in the session cookie, never cached: shown once.
            response = make_response(_render_members(
                new_account={"name": membership.user.display_name,
                             "email": membership.user.email, "password": password},
            ))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _render_members(add_form=form)


def _membership_or_404(user_id: int) -> Membership:
    membership = services.membership_of(g.organisation, user_id)
    if membership is None:
        abort(404)
    return membership


@bp.post("/gestion/<org_slug>/membres/<int:user_id>/role")
@org_required(Role.ADMIN)
def member_role(user_id: int):
    membership = _membership_or_404(user_id)
    form = _role_form(membership, formdata=request.form)
    if form.validate_on_submit():
        try:
            changed = services.change_role(membership, form.role.data,
                                           actor=current_user._get_current_object())
        except AccountError as error:
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                flash(_("%(name)s is now %(role)s.", name=membership.user.display_name,
                        role=ROLE_LABELS[Role(membership.role)]), "success")
            if user_id == current_user.id and membership.role != Role.ADMIN:
                return redirect(url_for(".home"))
            return redirect(url_for(".members", org_slug=g.organisation.slug))
    return _render_members(role_form=(user_id, form))


@bp.post("/gestion/<org_slug>/membres/<int:user_id>/retirer")
@org_required(Role.ADMIN)
def member_remove(user_id: int):
    membership = _membership_or_404(user_id)
    name = membership.user.display_name
    try:
        services.remove_member(membership, actor=current_user._get_current_object())
    except AccountError as error:
        flash(str(error), "error")
        return _render_members()
    db.session.commit()
    flash(_("%(name)s is no longer a member of this organisation.", name=name), "success")
    if user_id == current_user.id:
        return redirect(url_for(".home"))
    return redirect(url_for(".members", org_slug=g.organisation.slug))


ROLE_LABELS = {Role.ADMIN: _l("administrator"), Role.LEAD: _l("hiring lead")}


# --- The organisation ----------------------------------------------------------------------


@bp.route("/gestion/<org_slug>/organisation", methods=["GET", "POST"])
@org_required(Role.ADMIN)
def organisation_settings():
    organisation = g.organisation
    form = OrganisationForm(
        data={name: getattr(organisation, name)
              for name in services.ORGANISATION_FIELDS + services.ORGANISATION_SETTINGS}
    )
    if form.validate_on_submit():
        changed = services.update_organisation(
            organisation,
            actor=current_user._get_current_object(),
            values={**{name: form[name].data or "" for name in services.ORGANISATION_FIELDS},
                    "attach_documents": bool(form.attach_documents.data),
                    "retention_months": form.retention_months.data},
            logo=form.logo_upload,
            remove_logo=bool(form.remove_logo.data),
        )
        db.session.commit()
        if changed:
            flash(_("The organisation's settings have been saved."), "success")
        else:
            flash(_("Nothing to save: no setting was changed."), "success")
        return redirect(url_for(".organisation_settings", org_slug=organisation.slug))
    return render_template("accounts/organisation.html", form=form, organisation=organisation)


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"
    # A session cookie replayed from another browser or address is dropped.
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
