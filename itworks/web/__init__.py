"""Server-rendered pages: blueprints, role enforcement, error pages, filters."""

from __future__ import annotations

import logging
import traceback
from datetime import date, datetime

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import fiscal
from . import access, auth, figures, funnel, main, notes, publicity, registrants, reports, surveys
from . import tiers as tier_pages

log = logging.getLogger(__name__)

ORIGIN_LABELS = {"u_turn": _l("Uターン"), "i_turn": _l("Iターン"), "unknown": _l("不明")}
MEASURE_LABELS = {
    "hires": _l("UIターンIT技術者の採用数"),
    "new_registrants": _l("新規登録者数"),
    "consultations": _l("キャリア相談者数"),
    "fair_signups": _l("転職フェア申込者数（3回計）"),
}
CHANNEL_LABELS = {
    "web": _l("Web（本人）"),
    "interview": _l("面談"),
    "import": _l("取り込み"),
}
ROLE_LABELS = {
    "admin": _l("管理者"),
    "coordinator": _l("コーディネーター"),
    "prefecture": _l("県職員"),
}

ERROR_MESSAGES = {
    400: _l("リクエストが正しくありません。ページを読み込み直して、もう一度お試しください。"),
    403: _l("このページを表示する権限がありません。"),
    404: _l("ページが見つかりません。"),
    405: _l("この操作はできません。"),
    413: _l("送信されたデータが大きすぎます。"),
    500: _l("システムエラーが発生しました。管理者に連絡してください。"),
}


def _lang() -> str:
    return str(get_locale() or "ja")


def format_datetime(value: datetime | None) -> str:
    """JST wall time with the fiscal year beside it: 2022-04-01 09:30（令和4年度）."""
    if value is None:
        return "—"
    local = value.astimezone(fiscal.JST)
    return f"{local:%Y-%m-%d %H:%M} ({fiscal.fy_display(fiscal.fiscal_year_of(value), _lang())})"


def format_date(value: date | None) -> str:
    if value is None:
        return "—"
    if _lang().startswith("ja"):
        return f"{value:%Y-%m-%d}（{fiscal.wareki_date(value)}）"
    return f"{value:%Y-%m-%d}"


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

        return error_response(code)
    message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500] if code >= 500 else ERROR_MESSAGES[400])
    return render_template("error.html", code=code, message=message), code


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
    tier_pages.init_app(app)
    app.before_request(access.enforce)
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(Exception, _error)
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["d"] = format_date
    app.jinja_env.filters["fy"] = lambda fy: fiscal.fy_display(fy, _lang())
    app.jinja_env.filters["num"] = lambda n: "—" if n is None else f"{n:,}"

    @app.context_processor
    def labels() -> dict[str, object]:
        return {
            "ORIGIN_LABELS": ORIGIN_LABELS,
            "MEASURE_LABELS": MEASURE_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "lang": _lang(),
        }
