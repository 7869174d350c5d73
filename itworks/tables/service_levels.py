"""Service levels: first contact within the business-day level, month by month, and
how the hires of each fiscal year settled in (定着) at 3 and 12 months.

Each breakdown is of a total published elsewhere (the month's new registrants, the
year's hires), so for the prefecture it is suppressed as a one-way breakdown: 1 to
k−1 shown as ``<k``, and complementary cells hidden so none can be worked out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal, i18n
from itworks.fiscal import Period
from itworks.i18n import N_
from itworks.models import Hire, SettlingFollowUp
from itworks.services.engagement import first_contact
from itworks.services.kpi import measures
from itworks.tables import suppression
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

IN_SHIMANE = ("still_employed", "changed_employer_shimane")
CHECKPOINTS = (3, 12)


def _t(label: str, lang: str) -> str:
    return i18n.translate(label, "ja" if lang.startswith("ja") else "en")


def _suppressed(values: dict[str, int], k: int | None) -> dict[str, Any]:
    """One row's breakdown, suppressed for an aggregate-only audience."""
    if k is None:
        return dict(values)
    shown = suppression.suppress_counts(pd.Series(values), k)
    return {key: shown[key] for key in values}


def first_contact_by_month(
    session: Session, period: Period, audience: Audience, level_days: int, *, lang: str = "ja"
) -> Table:
    """Per month of registration in the fiscal year (to the period's cutoff): new
    registrants contacted within the level, later, not yet, and the median business
    days to the first contact (hidden where fewer than k were contacted)."""
    last = min(period.as_of, period.end)
    months = first_contact.median_by_month(
        session, level_days, period.start, date.fromordinal(last.toordinal() + 1)
    )
    k = audience.k
    rows = []
    for m in months:
        values = {
            "within": m.within_level,
            "late": m.contacted - m.within_level,
            "not_contacted": m.registered - m.contacted,
        }
        small = k is not None and 0 < m.contacted < k
        rows.append(
            {
                "month": m.month,
                "registered": m.registered,
                **_suppressed(values, k),
                "median_business_days": None if small else m.median_business_days,
            }
        )
    columns = [
        Column("month", _t(N_("登録月"), lang), "text"),
        Column("registered", _t(N_("新規登録"), lang)),
        Column("within", _t(N_("期限内に初回連絡"), lang)),
        Column("late", _t(N_("期限後に初回連絡"), lang)),
        Column("not_contacted", _t(N_("未連絡"), lang)),
        Column("median_business_days", _t(N_("初回連絡までの中央値（営業日）"), lang), "number"),
    ]
    return Table(
        "first_contact",
        N_("初回連絡までの営業日数（登録月別）"),
        columns,
        frame(rows, [r["month"] for r in rows], [c.key for c in columns]),
        audience,
        note=N_("期限は登録日から %(days)s 営業日（土日・祝日を除く）です。", days=level_days),
        meta={"level_days": level_days},
    )


def first_contact_overdue(
    session: Session, audience: Audience, level_days: int, today: date
) -> int | str:
    """How many people in use wait past the level for their first contact today
    (``<k`` for an aggregate-only audience when 1 to k−1)."""
    n = len(first_contact.overdue(session, level_days, today))
    k = audience.k
    return suppression.primary_marker(k) if k is not None and 0 < n < k else n


def settling(session: Session, period: Period, audience: Audience, *, lang: str = "ja") -> Table:
    """Per fiscal year of hire (up to the period's): the year's hires by a Shimane IT
    company, and at 3 and 12 months how many were still in Shimane (in the same job
    or another Shimane employer), had left, or were not checked yet."""
    end = period.cutoff_utc
    hires = session.execute(
        sa.select(Hire.id, Hire.hired_at)
        .join(*measures.HIRE_EMPLOYER)
        .where(measures.shimane_it_hire(), Hire.hired_at < end)
    ).all()
    outcomes = {
        (hire_id, months): outcome
        for hire_id, months, outcome in session.execute(
            sa.select(SettlingFollowUp.hire_id, SettlingFollowUp.months, SettlingFollowUp.outcome)
        )
    }
    years: dict[int, list[int]] = {}
    for hire_id, hired_at in hires:
        years.setdefault(fiscal.fiscal_year_of(hired_at), []).append(hire_id)
    k = audience.k
    rows = []
    for year in sorted(years):
        ids = years[year]
        row: dict[str, Any] = {"fiscal_year": fiscal.fy_display(year, lang), "hires": len(ids)}
        for months in CHECKPOINTS:
            seen = [outcomes.get((i, months)) for i in ids]
            values = {
                f"in_shimane_{months}": sum(1 for o in seen if o in IN_SHIMANE),
                f"left_{months}": sum(1 for o in seen if o == "left_shimane"),
                f"unchecked_{months}": sum(1 for o in seen if o is None),
            }
            row.update(_suppressed(values, k))
        row["year"] = year
        rows.append(row)
    columns = [
        Column("fiscal_year", _t(N_("採用年度"), lang), "text"),
        Column("hires", _t(N_("採用"), lang)),
    ]
    for months in CHECKPOINTS:
        columns += [
            Column(f"in_shimane_{months}", _t(N_("%(n)sか月後 県内", n=months), lang)),
            Column(f"left_{months}", _t(N_("%(n)sか月後 県外へ", n=months), lang)),
            Column(f"unchecked_{months}", _t(N_("%(n)sか月後 未確認", n=months), lang)),
        ]
    return Table(
        "settling",
        N_("採用者の定着（採用年度別）"),
        columns,
        frame(rows, [r["year"] for r in rows], [c.key for c in columns] + ["year"]),
        audience,
        note=N_(
            "県内＝同じ勤務先か県内の別の勤務先で働いている人。未確認には確認日がまだ来ていない人を含みます。"
        ),
    )
