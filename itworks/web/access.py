"""Role checks, declared on every view and enforced before every request.

A view without a declaration is refused (deny by default), and a test walks
the URL map to prove every endpoint declares its roles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role not in allowed:
        abort(403)
    return None
