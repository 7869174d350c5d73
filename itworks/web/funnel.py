"""The stage-conversion page: where the year's registrants stop on the way to a hire."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from itworks.tables import service_levels, stage_tables, stages

from ..db import db
from ..models import FUNNEL_STAGES
from . import figures
from .access import ALL_STAFF, roles

bp = Blueprint("funnel", __name__, url_prefix="/funnel")

TABLES = ("stages", "exits", "timing", "first_contact", "settling")


def _lang() -> str:
    from . import _lang as current_lang

    return current_lang()


def _split() -> str:
    split = request.args.get("by", "tier")
    if split not in stages.SPLITS:
        figures.refuse("by")
    return split


def _tables(split: str) -> dict:
    """The page's published tables for this viewer (suppressed for aggregate-only viewers)."""
    period = figures.period()
    audience = figures.audience()
    lang = _lang()
    partition = stages.partition(db.session, period)
    return {
        "period": period,
        "stages": stage_tables.reached(
            db.session, period, audience, lang=lang, splits=(split,), partition=partition
        )[split],
        "overall": stage_tables.overall(
            db.session, period, audience, lang=lang, partition=partition
        ),
        "exits": stage_tables.exits(db.session, period, audience, lang=lang),
        "timing": stage_tables.timing(db.session, period, audience, lang=lang),
        "first_contact": service_levels.first_contact_by_month(
            db.session,
            period,
            audience,
            int(current_app.config["FIRST_CONTACT_BUSINESS_DAYS"]),
            lang=lang,
        ),
        "settling": service_levels.settling(db.session, period, audience, lang=lang),
    }


def _chart(overall) -> dict:  # noqa: ANN001
    values, texts = figures.hidden_to_none(list(overall.frame["people"]))
    return figures.chart(
        [
            {
                "type": "funnel",
                "y": list(overall.frame["stage"]),
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
    split = _split()
    tables = _tables(split)
    period = tables["period"]
    return figures.chart_page(
        "funnel/index.html",
        fiscal_year=period.fiscal_year,
        as_of=period.as_of,
        split=split,
        splits=stages.SPLITS,
        split_labels=stages.SPLIT_LABELS["ja" if _lang().startswith("ja") else "en"],
        stages=FUNNEL_STAGES,
        stage_label=lambda stage: stages.stage_label(stage, _lang()),
        chart=_chart(tables["overall"]),
        minimum=figures.small_cell_k(),
        aggregates_only=current_user.role not in ("admin", "coordinator"),
        reached=tables["stages"],
        exits=tables["exits"],
        timing=tables["timing"],
        first_contact=tables["first_contact"],
        settling=tables["settling"],
    )


@bp.get("/<table>.csv")
@roles(*ALL_STAFF)
def download(table: str):
    """Download one of the page's tables as CSV (UTF-8 with BOM), suppressed as shown."""
    if table not in TABLES:
        abort(404)
    split = _split()
    tables = _tables(split)
    name = f"funnel-{table}-{tables['period'].fiscal_year}-{split}.csv"
    return figures.table_csv(name, tables[table])
