"""Half-year notes per measure (上期 / 下期): what was done and the countermeasures."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from itworks.services.kpi import notes
from itworks.services.kpi import progress as funnel

from ..db import db
from ..services.errors import InvalidInput
from .access import roles
from .auth import current_staff
from .forms import EmptyForm

bp = Blueprint("notes", __name__, url_prefix="/notes")


def _checked(fiscal_year: int, measure: str, half: str) -> None:
    if measure not in funnel.DEFINITIONS or half not in notes.HALVES:
        abort(404)
    if not funnel.MIN_FISCAL_YEAR <= fiscal_year <= funnel.MAX_FISCAL_YEAR:
        abort(404)


def _render(fiscal_year: int, measure: str, half: str, values: dict, errors: dict, status=200):  # noqa: ANN001, ANN202
    from . import _lang

    return (
        render_template(
            "main/note_form.html",
            form=EmptyForm(),
            fiscal_year=fiscal_year,
            measure=measure,
            half=half,
            half_label=notes.half_label(half, _lang()),
            definition=funnel.DEFINITIONS[measure],
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/<int:fiscal_year>/<measure>/<half>")
@roles("admin", "coordinator")
def edit(fiscal_year: int, measure: str, half: str):
    """Show the form for one measure's note for one half of the year."""
    _checked(fiscal_year, measure, half)
    note = notes.get_note(db.session, fiscal_year, measure, half)
    values = {
        "done": note.done if note else "",
        "countermeasures": note.countermeasures if note else "",
    }
    return _render(fiscal_year, measure, half, values, {})


@bp.post("/<int:fiscal_year>/<measure>/<half>")
@roles("admin", "coordinator")
def edit_submit(fiscal_year: int, measure: str, half: str):
    """Save one measure's note for one half of the year."""
    _checked(fiscal_year, measure, half)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {
        "done": request.form.get("done", ""),
        "countermeasures": request.form.get("countermeasures", ""),
    }
    try:
        notes.save_note(db.session, fiscal_year, measure, half, **values, actor=current_staff())
    except InvalidInput as exc:
        db.session.rollback()
        return _render(fiscal_year, measure, half, values, exc.errors, status=422)
    flash(_("半期メモを保存しました。"))
    return redirect(url_for("main.dashboard", fy=fiscal_year) + f"#measure-{measure}")
