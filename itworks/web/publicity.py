"""Publicity (広報) pages: the year's campaigns and what they brought in, and the
forms coordinators use to record a campaign and evaluate it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from itworks.services.publicity import campaigns as publicity
from itworks.tables import suppression

from ..db import db
from ..services.errors import InvalidInput, NotFound
from . import figures
from .access import ALL_STAFF, roles
from .auth import current_staff
from .forms import EmptyForm

bp = Blueprint("publicity", __name__, url_prefix="/publicity")

FIELDS = (
    "name",
    "channel",
    "utm_campaign",
    "starts_on",
    "ends_on",
    "cost_yen",
    "reach_target",
    "reach_actual",
    "clicks",
    "evaluation",
)


def _lang() -> str:
    from . import _lang as current_lang

    return current_lang()


def _model() -> str:
    model = request.args.get("model", "first")
    if model not in publicity.MODELS:
        abort(400)
    return model


def _mix_chart(mix, fiscal_year: int) -> dict:  # noqa: ANN001
    months = figures.month_labels(fiscal_year)
    traces = []
    body = mix.drop(index=suppression.TOTAL_LABEL, columns=suppression.TOTAL_LABEL)
    for channel in body.columns:
        values, texts = figures.hidden_to_none(list(body[channel]))
        traces.append(
            {
                "type": "bar",
                "name": publicity.channel_label(channel, _lang()),
                "x": [months[int(m)] for m in body.index],
                "y": values,
                "text": [t if t.startswith("<") or t == "x" else "" for t in texts],
                "textposition": "inside",
            }
        )
    return figures.chart(traces, height=340, barmode="stack", yaxis={"title": {"text": _("人")}})


@bp.get("/")
@roles(*ALL_STAFF)
def index():
    """Show the year's campaigns with reach, attributed people and cost per person."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    model = _model()
    k = figures.small_cell_k()
    result = publicity.evaluation(db.session, fiscal_year, measured_at, model=model, k=k)
    mix = publicity.channel_mix(db.session, fiscal_year, measured_at, k=k)
    return figures.chart_page(
        "publicity/index.html",
        fiscal_year=fiscal_year,
        as_of=measured_at,
        model=model,
        result=result,
        rows=result.table,
        by_id={c.public_id: c for c in result.campaigns},
        other_key=publicity.OTHER_KEY,
        mix=mix,
        chart=_mix_chart(mix, fiscal_year),
        months=figures.month_labels(fiscal_year),
        channel_label=lambda c: publicity.channel_label(c, _lang()),
        minimum=k,
    )


@bp.get("/campaigns.csv")
@roles(*ALL_STAFF)
def campaigns_csv():
    """Download the campaign evaluation table as CSV (UTF-8 with BOM)."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    model = _model()
    result = publicity.evaluation(
        db.session, fiscal_year, measured_at, model=model, k=figures.small_cell_k()
    )
    by_id = {c.public_id: c for c in result.campaigns}
    header = [
        "キャンペーン",
        "媒体",
        "utm_campaign",
        "開始日",
        "終了日",
        "費用（円）",
        "目標リーチ",
        "実績リーチ",
        "リーチ達成率",
        "クリック数",
        "登録者（ファーストタッチ）",
        "登録者（ラストタッチ）",
        "相談者（ファーストタッチ）",
        "相談者（ラストタッチ）",
        "採用者（ファーストタッチ）",
        "採用者（ラストタッチ）",
        f"登録単価（{model}）",
        f"相談単価（{model}）",
        f"採用単価（{model}）",
        "評価",
    ]
    rows = []
    for key, row in result.table.iterrows():
        c = by_id.get(key)
        counts = [
            figures.cell(row[f"{m}_{x}"]) for m in publicity.MEASURED for x in ("first", "last")
        ]
        achievement = row["reach_achievement"]
        rows.append(
            [
                c.name if c else "キャンペーン外・その他",
                publicity.channel_label(c.channel) if c else None,
                c.utm_campaign if c else None,
                c.starts_on.isoformat() if c else None,
                c.ends_on.isoformat() if c and c.ends_on else None,
                c.cost_yen if c else None,
                c.reach_target if c else None,
                c.reach_actual if c else None,
                None if achievement is None else f"{achievement * 100:.0f}%",
                c.clicks if c else None,
                *counts,
                row["cost_per_registrants"],
                row["cost_per_consultations"],
                row["cost_per_hires"],
                c.evaluation if c else None,
            ]
        )
    return figures.csv_response(f"publicity-{fiscal_year}.csv", header, rows)


@bp.get("/channels.csv")
@roles(*ALL_STAFF)
def channels_csv():
    """Download the channel mix by month as CSV (UTF-8 with BOM)."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    mix = publicity.channel_mix(db.session, fiscal_year, measured_at, k=figures.small_cell_k())
    months = figures.month_labels(fiscal_year)
    header = ["登録月", *[publicity.channel_label(c, "ja") if c != "計" else "計" for c in mix]]
    rows = [
        [label if label == "計" else months[int(label)], *map(figures.cell, row)]
        for label, row in mix.iterrows()
    ]
    return figures.csv_response(f"channels-{fiscal_year}.csv", header, rows)


def _render_form(form: EmptyForm, values: dict, errors: dict, campaign=None, status: int = 200):  # noqa: ANN001, ANN202
    return (
        render_template(
            "publicity/form.html",
            form=form,
            values=values,
            errors=errors,
            campaign=campaign,
            channels=publicity.CHANNELS,
            channel_label=lambda c: publicity.channel_label(c, _lang()),
        ),
        status,
    )


@bp.get("/campaigns/new")
@roles("admin", "coordinator")
def create():
    """Show the form for a new campaign."""
    return _render_form(EmptyForm(), {"channel": "web_ad", "cost_yen": "0"}, {})


@bp.post("/campaigns/new")
@roles("admin", "coordinator")
def create_submit():
    """Record a new campaign."""
    form = EmptyForm()
    values = {name: request.form.get(name, "") for name in FIELDS}
    if not form.validate_on_submit():
        abort(400)
    try:
        publicity.create_campaign(db.session, values, actor=current_staff())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_form(form, values, exc.errors, status=422)
    flash(_("キャンペーンを登録しました。"))
    return redirect(url_for("publicity.index"))


def _campaign(public_id: str):  # noqa: ANN202
    try:
        return publicity.get_campaign(db.session, public_id)
    except NotFound:
        abort(404)


@bp.get("/campaigns/<public_id>/edit")
@roles("admin", "coordinator")
def edit(public_id: str):
    """Show the form to change a campaign or write its evaluation."""
    campaign = _campaign(public_id)
    values = {name: getattr(campaign, name) for name in FIELDS}
    values = {k: "" if v is None else str(v) for k, v in values.items()}
    return _render_form(EmptyForm(), values, {}, campaign)


@bp.post("/campaigns/<public_id>/edit")
@roles("admin", "coordinator")
def edit_submit(public_id: str):
    """Save a campaign's changes and evaluation."""
    campaign = _campaign(public_id)
    form = EmptyForm()
    values = {name: request.form.get(name, "") for name in FIELDS}
    if not form.validate_on_submit():
        abort(400)
    try:
        publicity.update_campaign(db.session, public_id, values, actor=current_staff())
    except InvalidInput as exc:
        db.session.rollback()
        return _render_form(form, values, exc.errors, campaign, status=422)
    flash(_("キャンペーンを更新しました。"))
    return redirect(url_for("publicity.index"))
