"""Publicity (広報) pages: the year's campaigns and what they brought in, and the
forms coordinators use to record a campaign and evaluate it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from itworks.services.publicity import campaigns as publicity
from itworks.tables import publicity as publicity_tables
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
    if model not in publicity_tables.MODELS:
        figures.refuse("model")
    return model


def _mix_chart(mix, fiscal_year: int) -> dict:  # noqa: ANN001
    months = figures.month_labels(fiscal_year)
    traces = []
    body = mix.frame.drop(index=suppression.TOTAL_LABEL, columns=["month", suppression.TOTAL_LABEL])
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
    period = figures.period()
    audience = figures.audience()
    model = _model()
    result = publicity_tables.evaluation(db.session, period, audience, model=model)
    mix = publicity_tables.channel_mix(db.session, period, audience)
    campaigns = result.meta["campaigns"]
    return figures.chart_page(
        "publicity/index.html",
        fiscal_year=period.fiscal_year,
        as_of=period.as_of,
        model=model,
        campaigns=campaigns,
        rows=result.frame,
        by_id={c.public_id: c for c in campaigns},
        mix=mix,
        chart=_mix_chart(mix, period.fiscal_year),
        months=figures.month_labels(period.fiscal_year),
        channel_label=lambda c: publicity.channel_label(c, _lang()),
        minimum=audience.k,
    )


@bp.get("/campaigns.csv")
@roles(*ALL_STAFF)
def campaigns_csv():
    """Download the campaign evaluation table as CSV (UTF-8 with BOM)."""
    period = figures.period()
    table = publicity_tables.evaluation(db.session, period, figures.audience(), model=_model())
    return figures.table_csv(f"publicity-{period.fiscal_year}.csv", table)


@bp.get("/channels.csv")
@roles(*ALL_STAFF)
def channels_csv():
    """Download the channel mix by month as CSV (UTF-8 with BOM)."""
    period = figures.period()
    table = publicity_tables.channel_mix(db.session, period, figures.audience())
    return figures.table_csv(f"channels-{period.fiscal_year}.csv", table)


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
