"""Server-rendered pages: blueprints, role enforcement, error pages, filters."""

from __future__ import annotations

import logging
import traceback
from datetime import date, datetime

from flask import Flask, make_response, render_template, request
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import format_decimal, format_percent, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import fiscal, i18n, japanese, vocabulary
from . import access, auth, figures, funnel, main, notes, publicity, registrants, reports, surveys
from . import invitations as invitation_pages
from . import tiers as tier_pages
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


def format_datetime(value: datetime | None) -> str:
    """JST wall time with the fiscal year beside it: 2022-04-01 09:30 (令和4年度（FY2022）)."""
    if value is None:
        return "—"
    # BABEL_DEFAULT_TIMEZONE is Asia/Tokyo: Flask-Babel converts to JST.
    text = babel_format_datetime(value, "yyyy-MM-dd HH:mm")
    return f"{text} ({fiscal.fy_display(fiscal.fiscal_year_of(value), _lang())})"


def format_date(value: date | None) -> str:
    if value is None:
        return "—"
    text = babel_format_date(value, "yyyy-MM-dd")
    if _lang().startswith("ja"):
        return f"{text}（{fiscal.wareki_date(value)}）"
    return text


def format_number(value: float | None) -> str:
    return "—" if value is None else format_decimal(value)


def _pattern(digits: int, sign: bool = False) -> str:
    body = "#,##0" + ("." + "0" * digits if digits else "")
    return f"+{body};-{body}" if sign else body


def format_share(value: float | None, digits: int = 0) -> str:
    """0.123 → 12.3% (digits=1) in the page's locale."""
    return "—" if value is None else format_percent(value, _pattern(digits) + "%")


def format_fixed(value: float | None, digits: int = 1, sign: bool = False) -> str:
    """A decimal with ``digits`` places (and its sign when ``sign``) in the page's locale."""
    return "—" if value is None else format_decimal(value, _pattern(digits, sign))


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
    tier_pages.init_app(app)
    app.before_request(access.enforce)
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(Exception, _error)
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["d"] = format_date
    app.jinja_env.filters["fy"] = lambda fy: fiscal.fy_display(fy, _lang())
    app.jinja_env.filters["num"] = format_number
    app.jinja_env.filters["phone"] = japanese.display_phone
    app.jinja_env.filters["pct"] = format_share
    app.jinja_env.filters["fixed"] = format_fixed
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
