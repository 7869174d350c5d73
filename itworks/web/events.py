"""Events pages for coordinators and admins: the year's fairs, study sessions,
meet-ups and company exchanges with capacity, sign-ups, waiting list,
attendance (one by one or by CSV) and materials (成果物)."""

from __future__ import annotations

from pathlib import Path

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

from itworks import csvio, vocabulary
from itworks.services.engagement import events as service
from itworks.services.engagement import materials as material_service
from itworks.services.engagement import outbox, signups
from itworks.tables import events as event_tables

from ..db import db
from ..extensions import vault
from ..services.errors import Conflict, InvalidInput, NotFound
from . import figures
from .access import PERSONAL_DATA, roles
from .auth import current_staff
from .forms import EmptyForm
from .registrants import service_now
from .text import error_text, flash_error, lazy_labels, localize

bp = Blueprint("events", __name__, url_prefix="/events")

KIND_LABELS = lazy_labels(vocabulary.EVENT_KIND_LABELS)
STATUS_LABELS = lazy_labels(vocabulary.SIGNUP_STATUS_LABELS)
MATERIAL_LABELS = lazy_labels(vocabulary.MATERIAL_KIND_LABELS)
FIELDS = ("kind", "name", "starts", "ends", "venue", "online", "fair_number", "capacity")


def _root() -> Path:
    return Path(current_app.instance_path)


def _limits() -> material_service.Limits:
    return material_service.Limits.from_config(current_app.config)


def _event(public_id: str):  # noqa: ANN202
    try:
        return service.get_event(db.session, public_id)
    except NotFound:
        abort(404)


def _check_form() -> EmptyForm:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """Show the fiscal year's events with capacity, sign-ups, waiting list and attendance."""
    period = figures.period()
    table = event_tables.event_list(db.session, period, figures.audience())
    return render_template(
        "events/index.html",
        table=table,
        fiscal_year=period.fiscal_year,
        kind_labels=KIND_LABELS,
    )


@bp.get("/events.csv")
@roles(*PERSONAL_DATA)
def index_csv():
    """Download the year's events with their counts as CSV (UTF-8 with BOM)."""
    period = figures.period()
    table = event_tables.event_list(db.session, period, figures.audience())
    return figures.table_csv(f"events-{period.fiscal_year}.csv", table)


def _render_form(values: dict, errors: dict, status: int = 200):  # noqa: ANN202
    return (
        render_template(
            "events/form.html",
            form=EmptyForm(),
            values=values,
            errors={k: localize(v) for k, v in errors.items()},
            kinds=vocabulary.EVENT_KINDS,
            kind_labels=KIND_LABELS,
        ),
        status,
    )


@bp.get("/new")
@roles(*PERSONAL_DATA)
def create():
    """Show the form for a new event."""
    return _render_form({"kind": request.args.get("kind", "study_session")}, {})


def _int(values: dict, name: str, errors: dict) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = _("整数で入力してください")
        return None


@bp.post("/new")
@roles(*PERSONAL_DATA)
def create_submit():
    """Record a new event and open it."""
    _check_form()
    values = {name: request.form.get(name, "") for name in FIELDS}
    errors: dict = {}
    starts_at = ends_at = None
    for name in ("starts", "ends"):
        text = values[name].strip()
        if not text:
            if name == "starts":
                errors["starts_at"] = _("開始日時を入力してください")
            continue
        try:
            parsed = csvio.parse_datetime(text)
        except ValueError as exc:
            errors[f"{name}_at"] = error_text(exc)
            continue
        if name == "starts":
            starts_at = parsed
        else:
            ends_at = parsed
    fair_number = _int(values, "fair_number", errors)
    capacity = _int(values, "capacity", errors)
    if errors or starts_at is None:
        return _render_form(values, errors, 422)
    try:
        event = service.create_event(
            db.session,
            kind=values["kind"],
            name=values["name"],
            starts_at=starts_at,
            ends_at=ends_at,
            venue=values["venue"].strip() or None,
            online=bool(values["online"]),
            fair_number=fair_number if values["kind"] == "fair" else None,
            capacity=capacity,
            actor=current_staff(),
        )
    except InvalidInput as exc:
        db.session.rollback()
        return _render_form(values, exc.errors, 422)
    flash(_("イベントを登録しました。"))
    return redirect(url_for("events.detail", public_id=event.public_id))


def _detail_page(public_id: str, line_errors: list | None = None, status: int = 200):  # noqa: ANN202
    event = _event(public_id)
    roster = service.roster(db.session, vault(), event, actor=current_staff())
    event = _event(public_id)  # the roster's audit commit expired it
    counts = {s: sum(1 for r in roster if r.status == s) for s in vocabulary.SIGNUP_STATUSES}
    return (
        render_template(
            "events/detail.html",
            event=event,
            roster=roster,
            counts=counts,
            seats=counts["applied"] + counts["attended"] + counts["no_show"],
            held=event.starts_at <= service_now(),
            materials=material_service.list_materials(db.session, event),
            limits=_limits(),
            form=EmptyForm(),
            kind_labels=KIND_LABELS,
            status_labels=STATUS_LABELS,
            material_labels=MATERIAL_LABELS,
            material_kinds=vocabulary.MATERIAL_KINDS,
            line_errors=line_errors,
        ),
        status,
    )


@bp.get("/<public_id>")
@roles(*PERSONAL_DATA)
def detail(public_id: str):
    """Show one event: its sign-ups with their status, attendance and materials."""
    return _detail_page(public_id)


def _back(public_id: str, anchor: str = ""):  # noqa: ANN202
    return redirect(url_for("events.detail", public_id=public_id) + anchor)


@bp.post("/<public_id>/signups")
@roles(*PERSONAL_DATA)
def signup(public_id: str):
    """Sign a registrant up (by public id) under the capacity rule."""
    _check_form()
    registrant = request.form.get("registrant", "").strip()
    if not registrant:
        flash(_("登録者IDを入力してください"), "error")
        return _back(public_id, "#signup")
    try:
        result, created = signups.coordinator_sign_up(
            db.session, public_id, registrant, actor=current_staff(), at=service_now()
        )
    except (NotFound, Conflict) as exc:
        flash_error(exc)
        return _back(public_id, "#signup")
    if not created:
        flash(_("この登録者は既に申し込んでいます（%(s)s）。", s=STATUS_LABELS[result.status]))
    elif result.status == "waitlisted":
        flash(_("定員に達しているため、キャンセル待ちに登録しました。"))
    else:
        flash(_("申込を登録しました。"))
    return _back(public_id, "#signups")


@bp.post("/<public_id>/signups/<registrant>/cancel")
@roles(*PERSONAL_DATA)
def cancel(public_id: str, registrant: str):
    """Cancel a sign-up; the first on the waiting list gets the seat and a notice."""
    _check_form()
    try:
        promoted = signups.cancel_signup(
            db.session,
            public_id,
            registrant,
            actor=current_staff(),
            settings=outbox.Settings.from_config(current_app.config),
            now=service_now(),
        )
    except (NotFound, Conflict) as exc:
        flash_error(exc)
        return _back(public_id, "#signups")
    if promoted is not None:
        flash(
            _(
                "申込を取り消しました。キャンセル待ちの %(id)s さんを繰り上げ、"
                "お知らせのメールを送信キューに入れました。",
                id=promoted.registrant.public_id,
            )
        )
    else:
        flash(_("申込を取り消しました。"))
    return _back(public_id, "#signups")


@bp.post("/<public_id>/signups/<registrant>/attendance")
@roles(*PERSONAL_DATA)
def attendance(public_id: str, registrant: str):
    """Mark one sign-up attended or no-show."""
    _check_form()
    try:
        signups.mark_attendance(
            db.session,
            public_id,
            registrant,
            request.form.get("outcome", ""),
            actor=current_staff(),
            now=service_now(),
        )
    except (NotFound, Conflict, InvalidInput) as exc:
        flash_error(exc)
    return _back(public_id, f"#r-{registrant}")


@bp.post("/<public_id>/attendance.csv")
@roles(*PERSONAL_DATA)
def attendance_upload(public_id: str):
    """Mark attendance from a CSV file (public_id, attended); all lines or none."""
    _check_form()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("CSVファイルを選んでください"), "error")
        return _back(public_id, "#attendance")
    try:
        result = signups.import_attendance(
            db.session, public_id, upload.read(), actor=current_staff(), now=service_now()
        )
    except signups.AttendanceFileError as exc:
        return _detail_page(public_id, exc.lines, 422)
    except (NotFound, Conflict) as exc:
        flash_error(exc)
        return _back(public_id, "#attendance")
    flash(
        _(
            "出欠を記録しました（参加 %(a)s 人、欠席 %(n)s 人）。",
            a=result.attended,
            n=result.no_show,
        )
    )
    return _back(public_id, "#signups")


@bp.get("/<public_id>/attendance-template.csv")
@roles(*PERSONAL_DATA)
def attendance_template(public_id: str):
    """A CSV to fill in: the public id of every seat holder and an attended column."""
    event = _event(public_id)
    rows = service.seat_holders(db.session, event)
    return figures.csv_response(
        f"attendance-{event.public_id}.csv",
        ["public_id", "attended"],
        [[pid, "" if status == "applied" else status] for pid, status in rows],
    )


@bp.post("/<public_id>/materials")
@roles(*PERSONAL_DATA)
def material_upload(public_id: str):
    """Keep a file (slides, flyer, photo) with the event."""
    limits = _limits()
    # The page's own limit, above the app's general request limit.
    request.max_content_length = max(
        int(current_app.config.get("MAX_CONTENT_LENGTH") or 0), limits.max_bytes + 65536
    )
    _check_form()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("ファイルを選んでください"), "error")
        return _back(public_id, "#materials")
    try:
        material_service.add_material(
            db.session,
            _root(),
            public_id,
            filename=upload.filename,
            data=upload.read(limits.max_bytes + 1),
            kind=request.form.get("kind", "other"),
            limits=limits,
            actor=current_staff(),
        )
    except InvalidInput as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(str(localize(message)), "error")
        return _back(public_id, "#materials")
    except NotFound:
        abort(404)
    flash(_("資料を保存しました。"))
    return _back(public_id, "#materials")


@bp.get("/materials/<material_id>")
@roles(*PERSONAL_DATA)
def material_download(material_id: str):
    """Download one material (the download is audited)."""
    from flask import Response

    try:
        material, data = material_service.open_material(
            db.session, _root(), material_id, actor=current_staff()
        )
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash_error(exc)
        return redirect(url_for("events.index"))
    response = Response(data, mimetype=material.content_type)
    from urllib.parse import quote

    response.headers["Content-Disposition"] = (
        f'attachment; filename="material.{material.stored_name.rsplit(".", 1)[-1]}"; '
        f"filename*=UTF-8''{quote(material.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
