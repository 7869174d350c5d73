"""Helpers shared by the pages that show figures: which year, as of when, whether
small cells are hidden for the viewer, CSV downloads, number formats and charts."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from importlib import resources
from typing import Any

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from itworks.fiscal import Period
from itworks.services.kpi import progress as funnel
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Table, clean

from .. import crypto, csvio, fiscal
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


def selected_fiscal_year(measured_at: date) -> int:
    """The ?fy= of the request, or the current fiscal year; a bad value is a 400."""
    value = request.args.get("fy")
    if value is None:
        return funnel.current_fiscal_year(current_app.config["CURRENT_FISCAL_YEAR"], measured_at)
    try:
        return funnel.parse_fiscal_year(value)
    except InvalidInput:
        abort(400)


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


def csv_value(value: object, kind: str) -> object:
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


def month_labels(fiscal_year: int) -> list[str]:
    return [_("%(m)s月", m=m.month) for m in fiscal.fiscal_months(fiscal_year)]


def cell(value: object) -> object:
    """A table cell for CSV and JSON: counts stay numbers, markers stay text."""
    return value if suppression.is_hidden(value) or value is None else int(value)


# ----------------------------------------------------------------------------- filters


@bp.app_template_filter("signed")
def signed(value: float | None, unit: str = "") -> str:
    """+5 人 / -3 人 (difference to the year before)."""
    if value is None:
        return "—"
    number = round(value, 1)
    text = format_decimal(abs(number), "#,##0" if float(number).is_integer() else "#,##0.0")
    sign = "+" if number > 0 else ("-" if number < 0 else "±")
    return f"{sign}{text} {unit}".rstrip()


@bp.app_template_filter("count")
def count(value: object) -> str:
    """A count with thousands separators, or its suppression marker."""
    if value is None:
        return "—"
    if suppression.is_hidden(value):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    return format_decimal(number, "#,##0" if number.is_integer() else "#,##0.0")


@bp.app_template_filter("yen")
def yen(value: int | None) -> str:
    return "—" if value is None else f"¥{format_decimal(value, '#,##0')}"


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


def hidden_to_none(values: Iterable[object]) -> tuple[list[object], list[str]]:
    """Plot values (None where suppressed) and the text shown on each bar."""
    plotted, texts = [], []
    for value in values:
        if suppression.is_hidden(value) or value is None:
            plotted.append(None)
            texts.append("" if value is None else str(value))
        else:
            plotted.append(value)
            texts.append(f"{value:,}")
    return plotted, texts
