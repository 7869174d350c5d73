"""The stage-conversion page: where the year's registrants stop on the way to a hire."""

from __future__ import annotations

from itertools import pairwise

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from itworks.tables import stages as funnel_stages
from itworks.tables import suppression

from ..db import db
from ..models import FUNNEL_STAGES
from . import figures
from .access import ALL_STAFF, roles

bp = Blueprint("funnel", __name__, url_prefix="/funnel")

TABLES = ("stages", "exits", "timing")


def _lang() -> str:
    from . import _lang as current_lang

    return current_lang()


def _split() -> str:
    split = request.args.get("by", "tier")
    if split not in funnel_stages.SPLITS:
        abort(400)
    return split


def _figures(fiscal_year: int, split: str) -> dict:
    """Everything the page and its CSV files show, suppressed for aggregate-only viewers."""
    measured_at = figures.as_of()
    k = figures.small_cell_k()
    lang = _lang()
    frame = funnel_stages.partition(db.session, fiscal_year, measured_at)
    reached = funnel_stages.published(frame, k)[split]
    overall = reached.loc[suppression.TOTAL_LABEL]
    exits = funnel_stages.exit_reasons(db.session, fiscal_year, measured_at, lang)
    if not exits.empty:
        exits = funnel_stages.with_totals(exits, k)
    timings = funnel_stages.median_days(db.session, fiscal_year, measured_at)
    return {
        "k": k,
        "as_of": measured_at,
        "reached": reached,
        "rates": {label: funnel_stages.conversion(row) for label, row in reached.iterrows()},
        "overall": overall,
        "exits": exits,
        "timings": timings,
        "group_label": lambda key: (
            _("計")
            if key == suppression.TOTAL_LABEL
            else funnel_stages.group_label(split, key, fiscal_year, lang)
        ),
        "stage_label": lambda stage: funnel_stages.stage_label(stage, lang),
    }


def _chart(data: dict) -> dict:
    values, texts = figures.hidden_to_none(list(data["overall"]))
    return figures.chart(
        [
            {
                "type": "funnel",
                "y": [data["stage_label"](s) for s in FUNNEL_STAGES],
                "x": values,
                "text": texts,
                "textinfo": "text",
                "hoverinfo": "y+text",
                "marker": {"color": "#0b5cad"},
            }
        ],
        height=380,
        margin={"l": 140, "r": 16, "t": 16, "b": 24},
    )


@bp.get("/")
@roles(*ALL_STAFF)
def index():
    """Show the year's stage conversion, split by one variable, with timing and drop-offs."""
    fiscal_year = figures.selected_fiscal_year(figures.as_of())
    split = _split()
    data = _figures(fiscal_year, split)
    return figures.chart_page(
        "funnel/index.html",
        fiscal_year=fiscal_year,
        split=split,
        splits=funnel_stages.SPLITS,
        split_labels=funnel_stages.SPLIT_LABELS["ja" if _lang().startswith("ja") else "en"],
        stages=FUNNEL_STAGES,
        chart=_chart(data),
        minimum=data["k"],
        aggregates_only=current_user.role not in ("admin", "coordinator"),
        **data,
    )


@bp.get("/<table>.csv")
@roles(*ALL_STAFF)
def download(table: str):
    """Download one of the page's tables as CSV (UTF-8 with BOM), suppressed as shown."""
    if table not in TABLES:
        abort(404)
    fiscal_year = figures.selected_fiscal_year(figures.as_of())
    split = _split()
    data = _figures(fiscal_year, split)
    stage = data["stage_label"]
    if table == "stages":
        header = [_("区分"), *[stage(s) for s in FUNNEL_STAGES]]
        header += [f"{stage(a)}→{stage(b)}" for a, b in pairwise(FUNNEL_STAGES)]
        rows = []
        for label, row in data["reached"].iterrows():
            rates = data["rates"][label][1:]
            rows.append(
                [
                    data["group_label"](label),
                    *[figures.cell(v) for v in row],
                    *["" if r is None else f"{r * 100:.1f}%" for r in rates],
                ]
            )
    elif table == "exits":
        exits = data["exits"]
        header = [_("理由"), *[stage(c) if c in FUNNEL_STAGES else _("計") for c in exits.columns]]
        rows = [
            [_("計") if label == suppression.TOTAL_LABEL else label, *map(figures.cell, row)]
            for label, row in exits.iterrows()
        ]
    else:
        header = [_("段階"), _("人数"), _("中央値（日）")]
        rows = []
        for t in data["timings"]:
            hidden = data["k"] is not None and 0 < t.people < data["k"]
            rows.append(
                [
                    f"{stage(t.stage_from)}→{stage(t.stage_to)}",
                    f"<{data['k']}" if hidden else t.people,
                    None if hidden else t.median_days,
                ]
            )
    return figures.csv_response(f"funnel-{table}-{fiscal_year}-{split}.csv", header, rows)
