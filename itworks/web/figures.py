"""Helpers shared by the pages that show figures: which year, as of when, whether
small cells are hidden for the viewer, CSV downloads, number formats and charts."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from importlib import resources
from typing import Any, NoReturn, cast

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from itworks.fiscal import Period
from itworks.services.kpi import progress as funnel
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Table, clean

from .. import crypto, csvio, fiscal, japanese
from ..services.errors import InvalidInput
from .access import PERSONAL_DATA

bp = Blueprint("figures", __name__)

PLOTLY_JS = resources.files("plotly") / "package_data" / "plotly.min.js"


@functools.cache
def chart_policy() -> str:
    """The app's Content-Security-Policy, plus the inline styles plotly.js itself adds.

    plotly.js puts its own stylesheets into <style> elements: some empty and filled
    through the CSSOM (which CSP does not govern), one with the map library's CSS as
    a fixed string in the bundle. Allowing the hashes of exactly those strings, read
    from the installed bundle, keeps every other inline style blocked.
    """
    bundle = PLOTLY_JS.read_text(encoding="utf-8")
    styles = {""} | {m.group(1) for m in re.finditer(r"\.textContent='([^'\\]*)'", bundle)}
    hashes = " ".join(sorted(crypto.csp_hash_source(css) for css in styles))
    return (
        "default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' {hashes}; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


def chart_page(template: str, **context: Any) -> Response:
    """Render a page that draws plotly charts, with the policy plotly.js needs."""
    response = make_response(render_template(template, **context))
    response.headers["Content-Security-Policy"] = chart_policy()
    return response


def as_of() -> date:
    return funnel.as_of_date(current_app.config["AS_OF_DATE"])


# ----------------------------------------------------------------------------- bad parameters

PARAMETER_HINTS = {
    "fy": _l("年度は 2000〜2100 の西暦年で指定します（例: fy=2022）。"),
    "by": _l("内訳は一覧から選んでください。"),
    "model": _l("帰属の方法は first（ファーストタッチ）か last（ラストタッチ）です。"),
}
SHOWN_VALUE_LENGTH = 40


class ParameterRefused(BadRequest):
    """A query parameter the page cannot use; the page names it and its value."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__()
        self.parameter = name
        self.refused = value


def refuse(name: str) -> NoReturn:
    """Stop the request: the ``name`` query parameter has a value this page cannot use."""
    raise ParameterRefused(name, request.args.get(name, ""))


@bp.app_errorhandler(ParameterRefused)
def parameter_refused(error: ParameterRefused):  # noqa: ANN201
    """A page saying which value was refused, with a link back to the page without it."""
    name = error.parameter
    hint = PARAMETER_HINTS.get(name)
    if request.path.startswith("/api/"):
        message = _("%(name)s の値が正しくありません", name=name)
        return jsonify({"errors": {name: message}}), 422
    value = error.refused
    if len(value) > SHOWN_VALUE_LENGTH:
        value = value[:SHOWN_VALUE_LENGTH] + "…"
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != name}
    # A parameter error comes from a matched view, so the request has an endpoint.
    back = url_for(cast(str, request.endpoint), **(request.view_args or {}), **kept)
    return render_template(
        "error.html",
        code=400,
        message=_("%(name)s の値「%(value)s」は使えません。", name=name, value=value),
        hint=hint,
        back=back,
    ), 400


def selected_fiscal_year(measured_at: date) -> int:
    """The ?fy= of the request, or the current fiscal year; a bad value is refused."""
    value = request.args.get("fy")
    if value is None:
        return funnel.current_fiscal_year(current_app.config["CURRENT_FISCAL_YEAR"], measured_at)
    try:
        return funnel.parse_fiscal_year(value)
    except InvalidInput:
        refuse("fy")


def small_cell_k() -> int | None:
    """k for viewers who see aggregates only (prefecture staff); None for coordinators."""
    if current_user.is_authenticated and current_user.role in PERSONAL_DATA:
        return None
    return int(current_app.config["SMALL_CELL_K"])


def audience() -> Audience:
    """The audience the viewer's tables are built for."""
    k = small_cell_k()
    return Audience.coordinator() if k is None else Audience.prefecture(k)


def period() -> Period:
    """The fiscal year of the request (?fy=) measured at the as-of day."""
    measured_at = as_of()
    return Period.of(selected_fiscal_year(measured_at), measured_at)


def csv_value(value: Any, kind: str) -> object:
    """A published value as CSV text: ratios as whole percentages, rates with one
    decimal, a list of counts joined; counts stay numbers, markers stay text."""
    value = clean(value)
    if value is None:
        return None
    if kind == "counts":
        return " / ".join("—" if v is None else str(v) for v in value)
    if kind == "ratio" and not suppression.is_hidden(value):
        return f"{value * 100:.0f}%"
    if kind == "rate" and not suppression.is_hidden(value):
        return f"{value * 100:.1f}%"
    return value


def table_csv(filename: str, table: Table) -> Response:
    """A published table as a CSV download, the same columns as its sheet."""
    kinds = [c.kind for c in table.columns]
    rows = [
        [csv_value(v, kind) for v, kind in zip(values, kinds, strict=True)]
        for _, values in table.rows()
    ]
    return csv_response(filename, table.labels, rows)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """UTF-8-with-BOM CSV (Excel opens it) as a download."""
    buffer = io.StringIO()
    csvio.write_excel_csv(buffer, header, rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ----------------------------------------------------------------------------- formats
# Every number, date and fiscal year a page shows is written by one of these
# filters, with Flask-Babel's formatters in the page's locale; a missing figure is
# "—" and a suppressed cell keeps its marker ("<5", "x"). Templates never format a
# number themselves (tests/web/test_formatting.py).

MISSING = "—"


def lang() -> str:
    return str(get_locale() or "ja")


def _missing(value: object) -> bool:
    return clean(value) is None


def _pattern(digits: int, sign: bool = False) -> str:
    body = "#,##0" + ("." + "0" * digits if digits else "")
    return f"+{body};-{body}" if sign else body


@bp.app_template_filter("num")
def number(value: float | None) -> str:
    """A number with the locale's separators (1,234,567)."""
    return MISSING if _missing(value) else format_decimal(value)


@bp.app_template_filter("count")
def count(value: object) -> str:
    """A count with thousands separators, or its suppression marker."""
    if _missing(value):
        return MISSING
    if suppression.is_hidden(value):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    return format_decimal(number, "#,##0" if number.is_integer() else "#,##0.0")


@bp.app_template_filter("pct")
def share(value: float | None, digits: int = 0) -> str:
    """0.123 → 12% (12.3% with digits=1) in the page's locale."""
    if suppression.is_hidden(value):
        return str(value)
    return MISSING if _missing(value) else format_percent(value, _pattern(digits) + "%")


@bp.app_template_filter("points")
def points(value: float | None, digits: int = 1) -> str:
    """A difference of two shares in percentage points: 0.034 → +3.4 pt."""
    if _missing(value):
        return MISSING
    return f"{format_decimal(100 * value, _pattern(digits, sign=True))} pt"  # type: ignore[operator]


@bp.app_template_filter("fixed")
def fixed(value: float | None, digits: int = 1, sign: bool = False) -> str:
    """A decimal with ``digits`` places (and its sign when ``sign``) in the page's locale."""
    return MISSING if _missing(value) else format_decimal(value, _pattern(digits, sign))


@bp.app_template_filter("filesize")
def filesize(value: int | None) -> str:
    """A file's size in KB (or MB from 1 MB), one decimal, in the page's locale."""
    if _missing(value):
        return MISSING
    size = float(value or 0)
    if size >= 1024 * 1024:
        return f"{fixed(size / (1024 * 1024))} MB"
    return f"{fixed(size / 1024)} KB"


@bp.app_template_filter("signed")
def signed(value: float | None, unit: str = "") -> str:
    """+5 人 / -3 人 (difference to the year before)."""
    if _missing(value):
        return MISSING
    number = round(value, 1)  # type: ignore[arg-type]
    text = format_decimal(abs(number), "#,##0" if float(number).is_integer() else "#,##0.0")
    sign = "+" if number > 0 else ("-" if number < 0 else "±")
    return f"{sign}{text} {unit}".rstrip()


@bp.app_template_filter("yen")
def yen(value: float | None) -> str:
    """Whole yen in the locale's currency format (￥21,053 / ¥21,053), never a fraction."""
    if _missing(value):
        return MISSING
    return format_currency(round(value), "JPY", currency_digits=True)  # type: ignore[arg-type]


@bp.app_template_filter("dt")
def when(value: datetime | None) -> str:
    """JST wall time with the fiscal year beside it: 2022-04-01 09:30 (令和4年度（FY2022）)."""
    if value is None:
        return MISSING
    # BABEL_DEFAULT_TIMEZONE is Asia/Tokyo: Flask-Babel converts to JST.
    text = format_datetime(value, "yyyy-MM-dd HH:mm")
    return f"{text} ({fiscal.fy_display(fiscal.fiscal_year_of(value), lang())})"


@bp.app_template_filter("d")
def day(value: date | None) -> str:
    """2022-04-01, with 令和4年4月1日 beside it on a Japanese page."""
    if value is None:
        return MISSING
    text = format_date(value, "yyyy-MM-dd")
    if lang().startswith("ja"):
        return f"{text}（{fiscal.wareki_date(value)}）"
    return text


@bp.app_template_filter("ymd")
def short_day(value: date | datetime | None) -> str:
    """The day alone (2022-04-01, Japan time), for dense lists."""
    return MISSING if value is None else format_date(value, "yyyy-MM-dd")


@bp.app_template_filter("fy")
def fiscal_year(fy: int) -> str:
    """The fiscal year in the page's language: 令和4年度（FY2022）, or in English FY2022 (R4)."""
    return fiscal.fy_display(fy, lang())


def month_labels(fiscal_year: int) -> list[str]:
    """The fiscal year's months in the page's language: 4月 … 3月, or Apr … Mar in English."""
    return [format_date(m, "MMM") for m in fiscal.fiscal_months(fiscal_year)]


def fy_labels(years: Iterable[int]) -> list[str]:
    """Fiscal years where space is short (chart axes): 令和4年度 / FY2022."""
    return [fiscal.fy_short(y, lang()) for y in years]


def cell(value: Any) -> object:
    """A table cell for CSV and JSON: counts stay numbers, markers stay text."""
    return value if suppression.is_hidden(value) or value is None else int(value)


# ----------------------------------------------------------------------------- charts


def chart(data: list[dict], **layout: Any) -> dict[str, Any]:
    """A plotly figure as JSON for static/charts.js (no inline script: CSP)."""
    base = {
        "margin": {"l": 48, "r": 16, "t": 24, "b": 40},
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h"},
    }
    return {"data": data, "layout": {**base, **layout}}


def count_axis(values: Iterable[object], **extra: Any) -> dict[str, Any]:
    """A y axis for counts: from zero, whole-number steps (1, 2, 5 × 10ⁿ), never clipped."""
    top = max([float(v) for v in values if isinstance(v, int | float) and v == v] or [0])
    step = 1
    while top / step > 6:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = round(step * factor)
            if top / step <= 6:
                break
    return {
        "rangemode": "tozero",
        "range": [0, max(step, top) * 1.08],
        "dtick": step,
        "tick0": 0,
        "tickformat": ",d",
        "automargin": True,
        **extra,
    }


def hidden_to_none(values: Iterable[object]) -> tuple[list[object], list[str]]:
    """Plot values (None where suppressed) and the text shown on each bar."""
    plotted: list[object] = []
    texts: list[str] = []
    for value in values:
        if suppression.is_hidden(value) or value is None:
            plotted.append(None)
            texts.append("" if value is None else str(value))
        else:
            plotted.append(clean(value))
            texts.append(count(value))
    return plotted, texts


@bp.app_template_filter("prefecture")
def prefecture(value: str | None) -> str:
    """A stored prefecture (島根県) in the page's language ("Shimane" in English)."""
    return japanese.prefecture_label(value, lang()) or MISSING


@bp.app_template_filter("persona")
def persona_words(stored: str | None) -> str:
    """A persona (its id, or the description an assignment stores) as the sentence
    a coordinator would say, in the page's language; an older run's persona keeps
    its stored words."""
    if not stored:
        return "—"
    from itworks.services.tiers import personas

    from ..db import db

    cache = g.setdefault("persona_words", {})
    if lang() not in cache:
        cache[lang()] = personas.latest(db.session, lang())
    return cache[lang()].get(stored, stored)
