"""The prefecture's historical figures and this year's targets, from the shipped
data file; loaded once, then edited by admins."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.i18n import N_
from itworks.models import MEASURES, FiscalYearPlan, KpiHistory, KpiTarget, ReasonCode
from itworks.services import audit
from itworks.services.errors import InvalidInput, NotFound


def read_baseline() -> dict[str, Any]:
    with resources.files("itworks.data").joinpath("baseline.toml").open("rb") as handle:
        return tomllib.load(handle)


def load(session: Session, data: dict[str, Any] | None = None) -> dict[str, int]:
    """Insert whatever of the baseline is missing. Never overwrites an admin's edit."""
    data = data or read_baseline()
    added = {"history": 0, "plans": 0, "targets": 0, "reasons": 0}
    for row in data.get("history", []):
        if session.get(KpiHistory, row["fiscal_year"]) is None:
            fairs = list(row.get("fair_attendance", [])) + [None, None, None]
            session.add(
                KpiHistory(
                    fiscal_year=row["fiscal_year"],
                    new_registrants=row.get("new_registrants"),
                    consultations=row.get("consultations"),
                    fair1_attendance=fairs[0],
                    fair2_attendance=fairs[1],
                    fair3_attendance=fairs[2],
                    fair_signups=row.get("fair_signups"),
                    hires=row.get("hires"),
                    source=data["source"],
                )
            )
            added["history"] += 1
    for row in data.get("plan", []):
        if session.get(FiscalYearPlan, row["fiscal_year"]) is None:
            session.add(FiscalYearPlan(**row))
            added["plans"] += 1
    for row in data.get("target", []):
        exists = session.scalar(
            sa.select(KpiTarget.id).where(
                KpiTarget.fiscal_year == row["fiscal_year"], KpiTarget.measure == row["measure"]
            )
        )
        if exists is None:
            session.add(KpiTarget(**row))
            added["targets"] += 1
    for row in data.get("reason", []):
        if session.get(ReasonCode, row["code"]) is None:
            session.add(ReasonCode(**row))
            added["reasons"] += 1
    session.commit()
    return added


def set_target(
    session: Session,
    fiscal_year: int,
    measure: str,
    target: int,
    former_target: int | None = None,
    *,
    actor_label: str = "cli",
) -> KpiTarget:
    if measure not in MEASURES:
        raise InvalidInput(
            {"measure": N_("指標は %(codes)s のいずれかです", codes=", ".join(MEASURES))}
        )
    if target < 0 or (former_target is not None and former_target < 0):
        raise InvalidInput({"target": N_("0以上の整数です")})
    row = session.scalar(
        sa.select(KpiTarget).where(
            KpiTarget.fiscal_year == fiscal_year, KpiTarget.measure == measure
        )
    )
    if row is None:
        row = KpiTarget(
            fiscal_year=fiscal_year,
            measure=measure,
            kind="KGI" if measure == "hires" else "KPI",
            target=target,
        )
        session.add(row)
    row.target = target
    if former_target is not None:
        row.former_target = former_target
    audit.record(
        session,
        "target.set",
        actor_label=actor_label,
        entity_type="kpi_target",
        entity_id=f"{fiscal_year}/{measure}",
        target=target,
        former_target=former_target,
    )
    session.commit()
    return row


HISTORY_FIELDS = (
    "new_registrants",
    "consultations",
    "fair1_attendance",
    "fair2_attendance",
    "fair3_attendance",
    "fair_signups",
    "hires",
)


def set_history(
    session: Session, fiscal_year: int, field: str, value: int | None, *, actor_label: str = "cli"
) -> KpiHistory:
    if field not in HISTORY_FIELDS:
        raise InvalidInput(
            {"field": N_("項目は %(codes)s のいずれかです", codes=", ".join(HISTORY_FIELDS))}
        )
    if value is not None and value < 0:
        raise InvalidInput({"value": N_("0以上の整数です")})
    row = session.get(KpiHistory, fiscal_year)
    if row is None:
        raise NotFound(N_("%(fy)s年度の実績はありません", fy=fiscal_year))
    setattr(row, field, value)
    audit.record(
        session,
        "history.set",
        actor_label=actor_label,
        entity_type="kpi_history",
        entity_id=str(fiscal_year),
        field=field,
        value=value,
    )
    session.commit()
    return row


def targets(session: Session, fiscal_year: int) -> list[KpiTarget]:
    order = {m: i for i, m in enumerate(MEASURES)}
    rows = session.scalars(sa.select(KpiTarget).where(KpiTarget.fiscal_year == fiscal_year)).all()
    return sorted(rows, key=lambda r: order[r.measure])


def history(session: Session) -> list[KpiHistory]:
    return list(session.scalars(sa.select(KpiHistory).order_by(KpiHistory.fiscal_year)))
