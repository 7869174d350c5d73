"""Survey pages: the registrant's own answer page (public, by personal link),
interview entry, invitation rounds and their response rates, and tallies."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
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

from ..db import db
from ..extensions import link_signer, vault
from ..services import survey_links, survey_responses
from ..services.errors import Conflict, InvalidInput, NotFound
from .access import PERSONAL_DATA, public, roles
from .auth import current_staff

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
    from ..services import registrants

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
        flash(str(exc), "error")
        return redirect(url_for("registrants.detail", public_id=public_id))
    url = url_for("surveys.answer", token=token, _external=True)
    flash(_("回答用リンクを作成しました（有効期限14日・1回限り）: %(url)s", url=url), "ok")
    return redirect(url_for("registrants.detail", public_id=public_id))
