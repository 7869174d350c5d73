"""Server-rendered pages: blueprints, role enforcement, error pages, filters."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, make_response, render_template, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import i18n, japanese, vocabulary
from . import (
    access,
    auth,
    figures,
    funnel,
    invitation_batches,
    main,
    notes,
    publicity,
    registrants,
    reports,
    surveys,
)
from . import audit as audit_pages
from . import companies as company_pages
from . import events as event_pages
from . import invitations as invitation_pages
from . import tiers as tier_pages
from . import today as today_pages
from .text import lazy_labels

log = logging.getLogger(__name__)

ORIGIN_LABELS = lazy_labels(vocabulary.ORIGIN_LABELS)
MEASURE_LABELS = lazy_labels(vocabulary.MEASURE_LABELS)
CHANNEL_LABELS = lazy_labels(vocabulary.RESPONSE_CHANNEL_LABELS)
ROLE_LABELS = lazy_labels(vocabulary.ROLE_LABELS)

ERROR_MESSAGES = {
    400: _l("リクエストが正しくありません。ページを読み込み直して、もう一度お試しください。"),
    403: _l("このページを表示する権限がありません。"),
    404: _l("ページが見つかりません。"),
    405: _l("この操作はできません。"),
    413: _l("送信されたデータが大きすぎます。"),
    429: _l("短い間に失敗が続いたため、しばらく受け付けません。時間をおいてお試しください。"),
    500: _l("システムエラーが発生しました。管理者に連絡してください。"),
}


def _lang() -> str:
    return str(get_locale() or "ja")


def _finalize(value: object) -> object:
    # Every {{ … }} in a template: a Message a service raised or returned is shown
    # in the page's language, like a string marked with _() in the template itself.
    return value.translated(gettext) if isinstance(value, i18n.Message) else value


def _error(error: HTTPException | Exception):  # noqa: ANN202
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        # Log the type and where it happened, never the message: exception text
        # may quote a personal value.
        frames = traceback.extract_tb(error.__traceback__)[-6:]
        where = " <- ".join(
            f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)
        )
        log.error(
            "unhandled %s on %s %s at %s",
            type(error).__name__,
            request.method,
            request.endpoint,
            where,
        )
    if isinstance(error, CSRFError):
        code = 400
    if request.path.startswith("/api/"):
        from ..api import error_response

        response = error_response(code)
    else:
        message = ERROR_MESSAGES.get(
            code, ERROR_MESSAGES[500] if code >= 500 else ERROR_MESSAGES[400]
        )
        response = make_response(render_template("error.html", code=code, message=message), code)
    if isinstance(error, HTTPException) and code == 405:
        # RFC 9110: a 405 names the methods the resource does allow.
        response.headers.update(
            {name: value for name, value in error.get_headers() if name == "Allow"}
        )
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(figures.bp)
    app.register_blueprint(funnel.bp)
    app.register_blueprint(publicity.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(registrants.bp)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(invitation_pages.bp)
    app.register_blueprint(event_pages.bp)
    app.register_blueprint(invitation_batches.bp)
    app.register_blueprint(today_pages.bp)
    app.register_blueprint(company_pages.bp)
    app.register_blueprint(audit_pages.bp)
    tier_pages.init_app(app)
    app.before_request(access.enforce)
    app.after_request(access.audit_download)
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(Exception, _error)
    # Numbers, dates and fiscal years: the filters of web/figures.py (one place).
    app.jinja_env.filters["phone"] = japanese.display_phone
    app.jinja_env.finalize = _finalize
    # The Japanese page shows the definitions in English too, read from the same catalogue.
    app.jinja_env.filters["in_language"] = i18n.translate

    @app.context_processor
    def labels() -> dict[str, object]:
        return {
            "ORIGIN_LABELS": ORIGIN_LABELS,
            "MEASURE_LABELS": MEASURE_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "lang": _lang(),
        }
