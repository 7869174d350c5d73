"""Targeted invitations for coordinators and admins: build an audience with the
filters of services/engagement/audience.py, see its count and a sample of public
ids, send (the invitations and their mail in one transaction, through the
outbox), then follow the replies and the conversion per event and tier.

``/invitations/new?tier=move_now`` (any filter as a query parameter) opens the
form pre-filled: the tier list links here."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from itworks import japanese, vocabulary
from itworks.services.engagement import audience as audience_service
from itworks.services.engagement import events as event_service
from itworks.services.engagement import invitations as service
from itworks.services.engagement import outbox
from itworks.services.surveys import responses as survey_responses
from itworks.services.tiers.lists import persona_options
from itworks.tables import events as event_tables

from ..db import db
from ..extensions import link_signer
from ..services.errors import Conflict, InvalidInput, NotFound
from . import figures
from .access import PERSONAL_DATA, roles
from .auth import current_staff
from .forms import EmptyForm
from .registrants import service_now
from .text import flash_error, lazy_labels, localize

bp = Blueprint("invitation_batches", __name__, url_prefix="/invitations")

TIER_LABELS = lazy_labels(vocabulary.TIER_LABELS)
ORIGIN_LABELS = lazy_labels(vocabulary.ORIGIN_LABELS)
KIND_LABELS = lazy_labels(vocabulary.EVENT_KIND_LABELS)
SINGLE = ("tier", "persona", "origin", "age_band", "residence_prefecture")
MULTI = ("skills", "interests")


def _lang() -> str:
    from . import _lang as current_lang

    return current_lang()


def _raw(source) -> dict:  # noqa: ANN001
    """The filter fields of a query string or form (``prefecture`` and ``skill`` too)."""
    raw: dict = {name: (source.get(name) or "").strip() for name in SINGLE}
    if not raw["residence_prefecture"]:
        raw["residence_prefecture"] = (source.get("prefecture") or "").strip()
    raw["skills"] = [v for v in source.getlist("skills") + source.getlist("skill") if v]
    raw["interests"] = [v for v in source.getlist("interests") + source.getlist("interest") if v]
    raw["not_attended_this_fy"] = source.get("not_attended_this_fy") in ("1", "on", "true")
    return raw


def _choices() -> dict:
    instrument = survey_responses.current_instrument()
    lang = _lang()

    def options(question_id: str) -> list[tuple[str, str]]:
        q = instrument.question(question_id)
        return [(c.code, c.label(lang)) for c in q.choices]

    personas = persona_options(db.session)
    return {
        "tiers": [(t, TIER_LABELS[t]) for t in vocabulary.TIERS],
        "origins": [(o, ORIGIN_LABELS[o]) for o in vocabulary.ORIGINS],
        "age_bands": options("age_band"),
        "skills": options("skills"),
        "interests": options("event_interest"),
        "personas": [(pid, figures.persona_words(pid)) for pid in personas],
        "prefectures": [
            (p.name, japanese.prefecture_label(p.name, lang)) for p in japanese.PREFECTURES
        ],
    }


def _upcoming() -> list:
    now = service_now()
    return [e for e in event_service.list_events(db.session) if e.starts_at > now]


def _describe(flt: dict, choices: dict) -> list[tuple[str, str]]:
    """A saved filter as (label, value) pairs in the page's language."""
    names = {
        "tier": _("ティア"),
        "persona": _("ペルソナ"),
        "origin": _("U/Iターン"),
        "age_band": _("年齢層"),
        "residence_prefecture": _("居住都道府県"),
        "skills": _("スキル"),
        "interests": _("関心のあるイベント"),
        "not_attended_this_fy": _("今年度イベント未参加"),
    }
    lookup = {
        "tier": dict(choices["tiers"]),
        "persona": dict(choices["personas"]),
        "origin": dict(choices["origins"]),
        "age_band": dict(choices["age_bands"]),
        "residence_prefecture": dict(choices["prefectures"]),
        "skills": dict(choices["skills"]),
        "interests": dict(choices["interests"]),
    }
    out = []
    for key, value in flt.items():
        if key == "not_attended_this_fy":
            out.append((names[key], ""))
            continue
        values = value if isinstance(value, list) else [value]
        labels = [str(lookup.get(key, {}).get(v, v)) for v in values]
        joiner = "、" if _lang().startswith("ja") else ", "
        out.append((names.get(key, key), joiner.join(labels)))
    return out


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """Show the invitation batches with their replies, and the conversion per event and tier."""
    audience = figures.audience()
    choices = _choices()
    batches = event_tables.invitation_batches(db.session, audience)
    conversion = event_tables.conversion(db.session, audience, cutoff=service_now())
    return render_template(
        "invitations/index.html",
        batches=batches.records(),
        batch_ids=list(batches.frame.index),
        conversion=conversion.records(),
        describe=lambda flt: _describe(flt, choices),
        tier_labels=TIER_LABELS,
    )


@bp.get("/conversion.csv")
@roles(*PERSONAL_DATA)
def conversion_csv():
    """Download the conversion (invited → signed up → attended) as CSV."""
    table = event_tables.conversion(db.session, figures.audience(), cutoff=service_now())
    return figures.table_csv("invitation-conversion.csv", table)


def _form_page(raw: dict, event_id: str, *, errors: dict | None = None, status: int = 200):  # noqa: ANN202
    choices = _choices()
    counted = None
    errors = dict(errors or {})
    flt = None
    if not errors:
        try:
            flt = audience_service.parse_filter(raw, db.session)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if flt is not None and event_id:
        try:
            counted = audience_service.count_audience(db.session, event_id, flt, now=service_now())
        except NotFound as exc:
            errors["event"] = exc.args[0] if exc.args else ""
    return (
        render_template(
            "invitations/new.html",
            raw=raw,
            event_id=event_id,
            events=_upcoming(),
            choices=choices,
            counted=counted,
            described=_describe(counted.filter, choices) if counted else [],
            errors={k: localize(v) for k, v in errors.items()},
            kind_labels=KIND_LABELS,
            form=EmptyForm(),
        ),
        status,
    )


@bp.get("/new")
@roles(*PERSONAL_DATA)
def new():
    """Build an audience: the filters (pre-filled from the query string), then its
    count and a sample of public ids for the chosen event."""
    return _form_page(_raw(request.args), (request.args.get("event") or "").strip())


@bp.post("/send")
@roles(*PERSONAL_DATA)
def send():
    """Send the invitations: one invitation and one queued mail per person, together."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    raw = _raw(request.form)
    event_id = (request.form.get("event") or "").strip()
    if not event_id:
        return _form_page(raw, "", errors={"event": _("イベントを選んでください")}, status=422)
    try:
        flt = audience_service.parse_filter(raw, db.session)
        batch = service.send_invitations(
            db.session,
            link_signer(),
            event_id,
            flt,
            base_url=current_app.config["PUBLIC_BASE_URL"],
            actor=current_staff(),
            link_days=int(current_app.config["INVITATION_LINK_DAYS"]),
            settings=outbox.Settings.from_config(current_app.config),
            now=service_now(),
        )
    except InvalidInput as exc:
        db.session.rollback()
        return _form_page(raw, event_id, errors=exc.errors, status=422)
    except (Conflict, NotFound) as exc:
        db.session.rollback()
        flash_error(exc)
        return _form_page(raw, event_id, status=409)
    flash(
        _(
            "%(n)s 人への招待を送信キューに入れました。"
            "メールは送信ワーカー（itworks outbox send）が届けます。",
            n=batch.audience_size,
        )
    )
    return redirect(url_for("invitation_batches.detail", public_id=batch.public_id))


@bp.get("/<public_id>")
@roles(*PERSONAL_DATA)
def detail(public_id: str):
    """Show one batch: its event, filter, replies and the event's conversion by tier."""
    audience = figures.audience()
    table = event_tables.invitation_batches(db.session, audience, public_id)
    rows = table.records()
    if not rows:
        abort(404)
    batch = rows[0]
    conversion = event_tables.conversion(
        db.session, audience, [batch["event_public_id"]], cutoff=service_now()
    )
    choices = _choices()
    return render_template(
        "invitations/batch.html",
        batch=batch,
        public_id=public_id,
        described=_describe(batch["filter_codes"], choices),
        conversion=[r for r in conversion.records() if r["event_public_id"]],
        tier_labels=TIER_LABELS,
    )
