"""Half-year notes per measure (上期の実施内容 / 下期の対策): what was done in each half
of the fiscal year and the countermeasures decided, entered by coordinators."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import i18n, vocabulary
from itworks.i18n import N_
from itworks.japanese import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from itworks.models import MEASURES, HalfYearNote, User
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.vocabulary import HALVES

HALF_LABELS = i18n.by_language(vocabulary.HALF_LABELS)
MAX_TEXT = 4000


def half_label(half: str, lang: str = "ja") -> str:
    return HALF_LABELS["ja" if lang.startswith("ja") else "en"][half]


def notes_for(session: Session, fiscal_year: int) -> dict[tuple[str, str], HalfYearNote]:
    """(measure, half) → note, for the notes written so far."""
    rows = session.scalars(sa.select(HalfYearNote).where(HalfYearNote.fiscal_year == fiscal_year))
    return {(row.measure, row.half): row for row in rows}


def get_note(session: Session, fiscal_year: int, measure: str, half: str) -> HalfYearNote | None:
    _check(measure, half)
    return notes_for(session, fiscal_year).get((measure, half))


def _check(measure: str, half: str) -> None:
    errors = {}
    if measure not in MEASURES:
        errors["measure"] = N_("指標は %(codes)s のいずれかです", codes=", ".join(MEASURES))
    if half not in HALVES:
        errors["half"] = N_("上期（first）か下期（second）です")
    if errors:
        raise InvalidInput(errors)


def save_note(
    session: Session,
    fiscal_year: int,
    measure: str,
    half: str,
    *,
    done: str,
    countermeasures: str,
    actor: User | None = None,
    actor_label: str | None = None,
) -> HalfYearNote:
    """Write (or rewrite) one measure's note for one half of the year."""
    _check(measure, half)
    done, countermeasures = (done or "").strip(), (countermeasures or "").strip()
    errors = {}
    for name, text in (("done", done), ("countermeasures", countermeasures)):
        if len(text) > MAX_TEXT:
            errors[name] = N_("%(n)s文字以内で入力してください", n=MAX_TEXT)
        elif has_control_characters(text):
            errors[name] = CONTROL_CHARACTERS_MESSAGE
    if errors:
        raise InvalidInput(errors)
    who = actor.username if actor else (actor_label or "system")
    note = session.scalar(
        sa.select(HalfYearNote).where(
            HalfYearNote.fiscal_year == fiscal_year,
            HalfYearNote.measure == measure,
            HalfYearNote.half == half,
        )
    )
    if note is None:
        note = HalfYearNote(fiscal_year=fiscal_year, measure=measure, half=half, updated_by=who)
        session.add(note)
    note.done = done
    note.countermeasures = countermeasures
    note.updated_by = who
    audit.record(
        session,
        "half_year_note.save",
        actor=actor,
        actor_label=actor_label,
        entity_type="half_year_note",
        entity_id=f"{fiscal_year}/{measure}/{half}",
    )
    session.commit()
    return note
