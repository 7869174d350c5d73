"""Survey pages: the registrant's own answer page (public, by personal link),
interview entry, invitation rounds and their response rates, and tallies."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from itworks.services.kpi.progress import parse_fiscal_year
from itworks.services.surveys import links as survey_links
from itworks.services.surveys import responses as survey_responses
from itworks.tables import rounds as round_tables
from itworks.tables import tallies as survey_tallies
from itworks.vocabulary import INCENTIVE_ARMS

from .. import csvio
from ..db import db
from ..extensions import link_signer, vault
from ..services.errors import Conflict, InvalidInput, NotFound
from . import figures
from .access import ALL_STAFF, PERSONAL_DATA, public, roles
from .auth import current_staff
from .text import error_text, flash_error

bp = Blueprint("surveys", __name__)

LINK_PROBLEMS = {
    "tampered": (
        400,
        _l("このリンクは正しくありません。URLが途中で切れていないかご確認ください。"),
    ),
    "expired": (410, _l("このリンクの有効期限が切れています。")),
    "used": (410, _l("このリンクからは既に回答をいただいています。ありがとうございました。")),
    "gone": (404, _l("このリンクは使えません。")),
}


def _lang() -> str:
    from . import _lang as lang

    return lang()


def form_answers(instrument) -> dict[str, Any]:  # noqa: ANN001
    """The posted form as raw answers: lists for multiple choice, text otherwise."""
    answers: dict[str, Any] = {}
    for question in instrument.questions:
        if question.type == "multiple":
            values = request.form.getlist(question.id)
            if values:
                answers[question.id] = values
        else:
            value = request.form.get(question.id, "").strip()
            if value:
                answers[question.id] = value
    return answers


def _link_problem(reason: str):  # noqa: ANN202
    status, message = LINK_PROBLEMS.get(reason, LINK_PROBLEMS["gone"])
    return render_template("surveys/link_problem.html", message=message), status


@bp.get("/s/<token>")
@public
def answer(token: str):
    """Show the registrant's personal survey."""
    try:
        link = survey_links.open_link(db.session, link_signer(), token)
    except survey_links.LinkProblem as exc:
        return _link_problem(exc.reason)
    return render_template(
        "surveys/answer.html",
        instrument=survey_links.instrument_of(link),
        answers={},
        errors={},
        token=token,
        notice=current_app.config["PRIVACY_NOTICE_TEXT"],
    )


@bp.post("/s/<token>")
@public
def answer_submit(token: str):
    """Record the registrant's answers; the link is then spent."""
    try:
        link = survey_links.open_link(db.session, link_signer(), token)
        instrument = survey_links.instrument_of(link)
        raw = form_answers(instrument)
        survey_links.submit(db.session, vault(), link_signer(), token, raw)
    except survey_links.LinkProblem as exc:
        return _link_problem(exc.reason)
    except InvalidInput as exc:
        return render_template(
            "surveys/answer.html",
            instrument=instrument,
            answers=raw,
            errors=exc.errors,
            token=token,
            notice=current_app.config["PRIVACY_NOTICE_TEXT"],
        ), 422
    return render_template("surveys/thanks.html")


@bp.get("/registrants/<public_id>/survey")
@roles(*PERSONAL_DATA)
def interview(public_id: str):
    """Show the interview entry form, filled with the latest answers."""
    from itworks.services.intake import registrants

    try:
        registrant = registrants.get(db.session, public_id)
    except NotFound:
        abort(404)
    latest = survey_responses.latest_answers(db.session, [registrant.id]).get(registrant.id, {})
    return render_template(
        "surveys/interview.html",
        instrument=survey_responses.current_instrument(),
        answers=latest,
        errors={},
        public_id=public_id,
    )


@bp.post("/registrants/<public_id>/survey")
@roles(*PERSONAL_DATA)
def interview_submit(public_id: str):
    """Save answers entered during or after an interview."""
    instrument = survey_responses.current_instrument()
    raw = form_answers(instrument)
    try:
        survey_responses.enter_interview_answers(
            db.session, vault(), public_id, raw, actor=current_staff()
        )
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        return render_template(
            "surveys/interview.html",
            instrument=instrument,
            answers=raw,
            errors=exc.errors,
            public_id=public_id,
        ), 422
    flash(_("面談での回答を保存しました。"), "ok")
    return redirect(url_for("registrants.detail", public_id=public_id))


@bp.post("/registrants/<public_id>/survey-link")
@roles(*PERSONAL_DATA)
def create_link(public_id: str):
    """Create a personal survey link for one registrant."""
    try:
        token = survey_links.link_for_registrant(
            db.session, link_signer(), public_id, actor=current_staff()
        )
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash_error(exc)
        return redirect(url_for("registrants.detail", public_id=public_id))
    url = url_for("surveys.answer", token=token, _external=True)
    flash(_("回答用リンクを作成しました（有効期限14日・1回限り）: %(url)s", url=url), "ok")
    return redirect(url_for("registrants.detail", public_id=public_id))


# ------------------------------------------------------------------ tallies


def _tally_args() -> tuple[int | None, str | None]:
    """?fy= (empty: every year) and ?by=; a value the page cannot use is refused by name."""
    by = request.args.get("by") or None
    if by not in (None, *survey_tallies.BREAKDOWNS):
        figures.refuse("by")
    value = request.args.get("fy") or None
    if value is None:
        return None, by
    try:
        return parse_fiscal_year(value), by
    except InvalidInput:
        figures.refuse("fy")


def _tally_chart(table) -> dict:  # noqa: ANN001
    """One question's counts as horizontal bars, answers in the table's order; with a
    breakdown, one bar per group. Suppressed cells are left out and keep their marker."""
    answers = [str(a) for a in table.index]
    traces, shown = [], []
    for column in table.columns:
        values, texts = figures.hidden_to_none(list(table[column]))
        shown += values
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": str(column),
                "y": answers,
                "x": values,
                "text": texts,
                "textposition": "auto",
                "hoverinfo": "y+text" if len(table.columns) == 1 else "name+y+text",
            }
        )
    rows = len(answers) * (1 if len(traces) == 1 else 1.6)
    return figures.chart(
        traces,
        height=int(60 + 26 * rows),
        barmode="group",
        showlegend=len(traces) > 1,
        margin={"l": 8, "r": 16, "t": 8, "b": 32},
        xaxis=figures.count_axis(shown),
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
    )


@bp.get("/surveys/tallies")
@roles(*ALL_STAFF)
def tallies():
    """Show the survey tallies, optionally broken down by origin, age band or tier."""
    fiscal_year, by = _tally_args()
    result, tables = survey_tallies.published(
        db.session, figures.audience(), fiscal_year=fiscal_year, by=by, lang=_lang()
    )
    return figures.chart_page(
        "surveys/tallies.html",
        result=result,
        tables=tables,
        charts={item.question.id: _tally_chart(table) for item, table in tables},
        suppressed=current_user.role == "prefecture",
        k=current_app.config["SMALL_CELL_K"],
        breakdowns=survey_tallies.BY_LABELS["ja" if _lang() == "ja" else "en"],
    )


@bp.get("/surveys/tallies.csv")
@roles(*ALL_STAFF)
def tallies_csv():
    """Download the tallies as CSV for Excel (UTF-8 with BOM)."""
    fiscal_year, by = _tally_args()
    _result, tables = survey_tallies.published(
        db.session, figures.audience(), fiscal_year=fiscal_year, by=by, lang=_lang()
    )
    buffer = io.StringIO()
    rows = []
    header = None
    for item, table in tables:
        if header is None:
            header = ["question", "answer", *[str(c) for c in table.columns]]
        for answer_label, values in table.iterrows():
            rows.append([item.question.short(_lang()), answer_label, *values.tolist()])
    csvio.write_excel_csv(buffer, header or ["question", "answer"], rows)
    name = f"survey-tallies-{fiscal_year or 'all'}-{by or 'total'}.csv"
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


# ------------------------------------------------------------------ invitation rounds


def _rounds_page() -> dict[str, Any]:
    reports = [survey_links.report(db.session, r) for r in survey_links.list_rounds(db.session)]
    return {
        "table": round_tables.rounds(reports, lang=_lang()),
        "arm_labels": {code: round_tables.arm_label(code, _lang()) for code in INCENTIVE_ARMS},
    }


@bp.get("/surveys/rounds")
@roles(*PERSONAL_DATA)
def rounds():
    """List the invitation rounds with their response rates."""
    return render_template("surveys/rounds.html", **_rounds_page(), errors={}, form={})


@bp.post("/surveys/rounds")
@roles(*PERSONAL_DATA)
def rounds_create():
    """Invite every live registrant in a new round, assigning arms at random."""
    name = request.form.get("name", "").strip()
    arms = [a.strip() for a in request.form.get("arms", "none").split(",") if a.strip()]
    errors: dict[str, str] = {}
    try:
        round_ = survey_links.create_round(
            db.session,
            link_signer(),
            name,
            arms,
            days=request.form.get("days", "14"),
            actor=current_staff(),
        )
        flash(_("ラウンド「%(name)s」を作成しました。", name=round_.name), "ok")
        return redirect(url_for("surveys.round_detail", public_id=round_.public_id))
    except InvalidInput as exc:
        errors.update(exc.errors)
    except Conflict as exc:
        errors["name"] = error_text(exc)
    return render_template(
        "surveys/rounds.html", **_rounds_page(), errors=errors, form=request.form
    ), 422


@bp.get("/surveys/rounds/<public_id>")
@roles(*PERSONAL_DATA)
def round_detail(public_id: str):
    """Show one round's response rate per arm and the difference between arms."""
    try:
        round_ = survey_links.get_round(db.session, public_id)
    except NotFound:
        abort(404)
    report = survey_links.report(db.session, round_)
    return render_template(
        "surveys/round.html",
        report=report,
        arms=round_tables.arms(report, lang=_lang()),
        differences=round_tables.differences(report, lang=_lang()),
    )
