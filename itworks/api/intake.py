"""Registration and fair-application endpoints for the IT WORKS website."""

from __future__ import annotations

from typing import cast

from flask import current_app, jsonify

from itworks.services.intake import arrivals as intake

from ..db import db
from ..extensions import vault
from . import api_scope, bp, error_response, json_body


@bp.errorhandler(intake.UnknownFair)
def unknown_fair(error: intake.UnknownFair):  # noqa: ANN201
    return error_response(404, error.errors)


def notice() -> intake.Notice:
    cfg = current_app.config
    return intake.Notice(cfg["PRIVACY_NOTICE_VERSION"], cfg["PRIVACY_NOTICE_TEXT"])


@bp.post("/registrations")
@api_scope("intake")
def registrations():
    """Register a person posted by the website, or recognise them as already known."""
    arrival, _ = intake.validate_payload(db.session, json_body(), notice())
    result = intake.register(db.session, vault(), arrival, channel="api")
    body = {"id": result.public_id, "duplicate": result.duplicate}
    return jsonify(body), 200 if result.duplicate else 201


@bp.post("/fair-applications")
@api_scope("intake")
def fair_applications():
    """Sign a person up for a job fair, registering them first if they are new."""
    arrival, event_id = intake.validate_payload(db.session, json_body(), notice(), fair=True)
    # With fair=True, validate_payload has found the fair: event_id is its public id.
    result = intake.apply_to_fair(db.session, vault(), arrival, cast(str, event_id))
    body = {
        "id": result.public_id,
        "duplicate": result.duplicate,
        "signup": ("created" if result.signup_created else "existing"),
    }
    return jsonify(body), 201 if result.signup_created else 200
