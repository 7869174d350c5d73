"""Login and logout."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user

from itworks.services.accounts import users

from ..db import db
from ..extensions import login_limit, login_manager, vault
from .access import ALL_STAFF, public, roles
from .forms import EmptyForm, LoginForm

bp = Blueprint("auth", __name__)


class StaffUser(UserMixin):
    """The logged-in person as flask-login sees them; the id is the login-session token."""

    def __init__(self, user_id: int, username: str, role: str, token: str) -> None:
        self.user_id = user_id
        self.username = username
        self.role = role
        self.token = token

    def get_id(self) -> str:
        return self.token


def policy() -> users.LoginPolicy:
    cfg = current_app.config
    return users.LoginPolicy(
        max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
        window=timedelta(minutes=int(cfg["LOGIN_FAILURE_WINDOW_MINUTES"])),
        idle=timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"])),
    )


@login_manager.user_loader
def load_user(token: str) -> StaffUser | None:
    user = users.load_session(db.session, token, policy())
    if user is None:
        return None
    return StaffUser(user.id, user.username, user.role, token)


def current_staff():  # noqa: ANN201
    """The ORM User behind current_user, for services that record the actor."""
    from ..models import User

    return db.session.get(User, current_user.user_id)


def _unsafe(char: str) -> bool:
    return char.isspace() or not char.isprintable() or char == "\\"


def home_for(role: str | None) -> str:
    """Where a role lands after login: coordinators on 今日の対応, others on the dashboard."""
    if role == "coordinator" and "today.index" in current_app.view_functions:
        return url_for("today.index")
    return url_for("main.dashboard")


def _safe_next(target: str | None, role: str | None = None) -> str:
    # Browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil" is "//evil":
    # refuse any such character first, then accept only a path on this site.
    if not target:
        return home_for(role)
    if any(_unsafe(c) for c in target):
        return home_for(role)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home_for(role)
    return target


@bp.get("/login")
@public
def login():
    """Show the login form."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    return render_template("auth/login.html", form=LoginForm())


@bp.post("/login")
@public
def login_submit():
    """Check the credentials and start a fresh session."""
    form = LoginForm()
    address = request.remote_addr or ""  # the client PROXY_COUNT trusts (ProxyFix)
    if not login_limit().allowed(address):
        abort(429)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400
    try:
        user, token = users.authenticate(
            db.session, vault(), form.username.data, form.password.data, policy()
        )
    except users.LoginRefused:
        login_limit().failed(address)
        flash(
            _(
                "ユーザー名またはパスワードが正しくありません。繰り返し失敗した場合はしばらくお待ちください。"
            ),
            "error",
        )
        return render_template("auth/login.html", form=form), 401
    lang = session.get("lang")
    session.clear()  # a new session at login: nothing from before carries over
    if lang:
        session["lang"] = lang
    login_user(StaffUser(user.id, user.username, user.role, token))
    return redirect(_safe_next(request.args.get("next"), user.role))


@bp.post("/logout")
@roles(*ALL_STAFF)
def logout():
    """End the session on the server and in the browser."""
    form = EmptyForm()
    if form.validate_on_submit():
        users.end_session(db.session, current_user.token)
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))
