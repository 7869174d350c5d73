"""Role checks, declared on every view and enforced before every request.

A view without a declaration is refused (deny by default), and a test walks
the URL map to prove every endpoint declares its roles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ALL_STAFF = ("admin", "coordinator", "prefecture")
PERSONAL_DATA = ("admin", "coordinator")  # never prefecture: aggregates only


def roles(*allowed: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view.allowed_roles = allowed  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view


def allowed_roles(endpoint: str) -> tuple[str, ...] | str | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def enforce() -> Any:
    """before_request: let the request through, send to login, or refuse."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    allowed = allowed_roles(request.endpoint)
    if allowed in (PUBLIC, "api"):  # the API checks its tokens itself
        return None
    if allowed is None:
        _refuse()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role not in allowed:
        _refuse()
    return None


def _refuse() -> NoReturn:
    """Audit the refused authorisation (who, which endpoint), then 403."""
    from itworks.services import audit

    from ..db import db

    signed_in = current_user.is_authenticated
    audit.record_refusal(
        db.session,
        user_id=current_user.user_id if signed_in else None,
        username=current_user.username if signed_in else None,
        endpoint=request.endpoint,
    )
    abort(403)


def audit_download(response: Any) -> Any:
    """after_request: every file handed out as an attachment is audited."""
    disposition = response.headers.get("Content-Disposition", "")
    if response.status_code == 200 and disposition.startswith("attachment"):
        from itworks.services import audit

        from ..db import db
        from .auth import current_staff

        user = current_staff() if current_user.is_authenticated else None
        filename = disposition.partition("filename=")[2].strip('"')
        audit.record_download(db.session, user=user, endpoint=request.endpoint, filename=filename)
    return response
