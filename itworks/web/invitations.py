"""The invitation reply page: the registrant's own accept-or-decline page, public,
by the personal link in the invitation mail (like the survey link pages)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from itworks.services.engagement import invitations as service
from itworks.services.surveys.links import LinkProblem

from ..db import db
from ..extensions import link_signer
from ..services.errors import InvalidInput
from .access import public
from .registrants import service_now
from .surveys import LINK_PROBLEMS

bp = Blueprint("invitations", __name__)

USED = (410, _l("このご案内には既にお返事をいただいています。ありがとうございました。"))


def _link_problem(reason: str):  # noqa: ANN202
    status, message = USED if reason == "used" else LINK_PROBLEMS.get(reason, LINK_PROBLEMS["gone"])
    return render_template("invitations/link_problem.html", message=message), status


@bp.get("/i/<token>")
@public
def reply(token: str):
    """Show the invited event, with buttons to sign up or decline."""
    try:
        invitation = service.open_invitation(db.session, link_signer(), token, now=service_now())
    except LinkProblem as exc:
        return _link_problem(exc.reason)
    return render_template(
        "invitations/reply.html", event=invitation.event, invitation=invitation, token=token
    )


@bp.post("/i/<token>")
@public
def reply_submit(token: str):
    """Record the registrant's answer (sign-up under the capacity rule, or decline)."""
    try:
        result = service.reply(
            db.session, link_signer(), token, request.form.get("answer", ""), now=service_now()
        )
    except LinkProblem as exc:
        return _link_problem(exc.reason)
    except InvalidInput:
        return _link_problem("tampered")
    return render_template("invitations/replied.html", result=result)
