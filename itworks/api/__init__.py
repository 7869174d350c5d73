"""The versioned JSON API (/api/v1): token auth, JSON errors, OpenAPI document."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_babel import gettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from itworks.services.accounts import tokens

from .. import i18n
from ..db import db
from ..services.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API = "api"  # allowed_roles marker: the API authenticates with its own rules

# In the request's language (Accept-Language; Japanese by default), like every
# message a service raises: see error_response.
MESSAGES = {
    400: i18n.N_("JSONとして読めません"),
    401: i18n.N_("有効なトークンが必要です（Authorization: Bearer …）"),
    403: i18n.N_("このトークンでは実行できません"),
    404: i18n.N_("見つかりません"),
    405: i18n.N_("このメソッドは使えません"),
    413: i18n.N_("本文が大きすぎます（上限 %(limit)s バイト）"),
    415: i18n.N_("本文は JSON（Content-Type: application/json、UTF-8）で送ってください"),
    500: i18n.N_("サーバーエラー"),
}
ERROR_FIELDS = {
    400: "body",
    401: "authorization",
    403: "authorization",
    413: "body",
    415: "content_type",
}


def api_scope(scope: str | None) -> Callable[[F], F]:
    """Declare the token scope a view needs (None: no token needed)."""

    def mark(view: F) -> F:
        view.allowed_roles = API  # type: ignore[attr-defined]
        view.api_scope = scope  # type: ignore[attr-defined]
        return view

    return mark


def error_response(status: int, errors: dict[str, str] | None = None):  # noqa: ANN201
    if errors is None:
        message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
        if status == 413:
            message = i18n.N_(message.msgid, limit=current_app.config["API_MAX_BODY_BYTES"])
        errors = {ERROR_FIELDS.get(status, "request"): message}
    response = jsonify(errors=localize(errors))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="itworks"'
    return response


def localize(value: Any) -> Any:
    """The Messages in an answer (errors, labels, definitions) in the request's language."""
    return i18n.localize(value, gettext)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        raise ValueError("number out of range")
    return value


def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 when it is not one, 413 when too large, 415 when the
    body is not declared as JSON in UTF-8."""
    if request.mimetype != "application/json" or request.mimetype_params.get(
        "charset", "utf-8"
    ).lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType()
    raw = request.get_data(cache=True)
    try:
        # NaN and Infinity are not JSON; a huge exponent would become one.
        payload = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: tens of thousands of nested brackets in a small body.
        raise BadJson() from None
    if not isinstance(payload, dict):
        raise BadJson({"body": i18n.N_("JSONオブジェクトを送ってください")})
    return payload


class BadJson(Exception):
    def __init__(self, errors: dict[str, str] | None = None) -> None:
        super().__init__("bad json")
        self.errors = errors


@bp.before_request
def authenticate():  # noqa: ANN201
    request.max_content_length = int(current_app.config["API_MAX_BODY_BYTES"])
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "api_scope", None)
    if scope is None:
        return None
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() == "bearer" and token.strip():
        row = tokens.authenticate(db.session, token.strip())
        if row is None:
            return error_response(401)
        if row.scope != scope:
            return error_response(403)
        return None
    if scope == "read" and current_user.is_authenticated:
        return None  # staff browsing the read API with their login session
    return error_response(401)


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput):  # noqa: ANN201
    return error_response(422, error.errors)


@bp.errorhandler(BadJson)
def bad_json(error: BadJson):  # noqa: ANN201
    return error_response(400, error.errors)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):  # noqa: ANN201
    return error_response(413)


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from . import funnel, intake, openapi  # noqa: F401  (registers the views)

    csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request to forge
    app.register_blueprint(bp)
