"""The half-year notes of every measure (上期の実施内容・下期の対策) as one table."""

from __future__ import annotations

from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.fiscal import Period
from itworks.models import MEASURES
from itworks.services.kpi import notes as kpi_notes
from itworks.services.kpi.progress import DEFINITIONS
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

COLUMNS = [
    Column("measure", "指標", "text"),
    Column("half", "期", "text"),
    Column("done", "実施内容", "text"),
    Column("countermeasures", "対策", "text"),
    Column("updated_by", "更新者", "text"),
    Column("updated_on", "更新日", "text"),
]


def notes(session: Session, period: Period, audience: Audience) -> Table:
    """One row per measure and half, written or not (text: the same for every audience)."""
    written = kpi_notes.notes_for(session, period.fiscal_year)
    rows, index = [], []
    for key in MEASURES:
        for half in kpi_notes.HALVES:
            note = written.get((key, half))
            rows.append(
                {
                    "measure": DEFINITIONS[key].label_ja,
                    "half": kpi_notes.half_label(half),
                    "done": note.done if note else "",
                    "countermeasures": note.countermeasures if note else "",
                    "updated_by": note.updated_by if note else "",
                    "updated_on": (
                        f"{note.updated_at.astimezone(fiscal.JST):%Y-%m-%d}" if note else ""
                    ),
                }
            )
            index.append((key, half))
    return Table(
        "notes",
        "半期メモ（上期の実施内容・下期の対策）",
        COLUMNS,
        frame(rows, range(len(rows)), [c.key for c in COLUMNS]),
        audience,
        meta={"keys": index},
    )
