"""KGI/KPI progress: the four measures of a fiscal year computed from the records,
against target and pace, and the year-on-year history.

Every figure is an aggregate query; no registrant row is loaded into Python. A
person is counted once however many duplicate rows they had: facts recorded on
a merged duplicate count for the person it was merged into. Erased people still
count (erasure removes personal fields, not facts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.fiscal import Period
from itworks.i18n import N_, Message, translate
from itworks.models import MEASURES, FiscalYearPlan, KpiHistory, KpiTarget
from itworks.services import reuse
from itworks.services.errors import InvalidInput
from itworks.services.kpi.counts import fair_attendance, load_merges, monthly_counts
from itworks.vocabulary import MEASURE_LABELS

# Status: on_track when the actual has reached the expected-to-date figure, or is
# less than one whole person short of it (early in the year the expected figure is
# a fraction); at_risk down to AT_RISK_RATIO of it; behind below that.
AT_RISK_RATIO = 0.8
STATUSES = ("on_track", "at_risk", "behind")

MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2100


@dataclass(frozen=True)
class Definition:
    """The written rule of one measure; everyone who reads the number reads this.

    ``label``, ``unit`` and ``text`` are Japanese msgids: an entry point shows them in
    the reader's language, a renderer given a language uses ``in_language``.
    """

    key: str
    kind: str
    label: Message
    unit: Message
    text: Message

    @property
    def label_ja(self) -> str:
        return str(self.label)

    @property
    def unit_ja(self) -> str:
        return str(self.unit)

    @property
    def ja(self) -> str:
        return str(self.text)

    def in_language(self, lang: str) -> tuple[str, str]:
        """(label, text) in ``lang``, read from the catalogue."""
        return translate(self.label, lang), translate(self.text, lang)


DEFINITIONS: dict[str, Definition] = {
    "hires": Definition(
        "hires",
        "KGI",
        MEASURE_LABELS["hires"],
        N_("人"),
        N_(
            "年度内（日本時間）に島根県内のIT企業に採用された人の数。同じ人は1人と数え、重複登録は統合して数える。"
        ),
    ),
    "new_registrants": Definition(
        "new_registrants",
        "KPI",
        MEASURE_LABELS["new_registrants"],
        N_("人"),
        N_(
            "登録日時が年度内（日本時間）の登録者数。後から重複と分かった登録は統合して1人と数える。"
        ),
    ),
    "consultations": Definition(
        "consultations",
        "KPI",
        MEASURE_LABELS["consultations"],
        N_("人"),
        N_("年度内にキャリア相談を1回以上受けた人の数。同じ人が何回相談しても1人と数える。"),
    ),
    "fair_signups": Definition(
        "fair_signups",
        "KPI",
        MEASURE_LABELS["fair_signups"],
        N_("人"),
        N_(
            "その年度に開催する転職フェアへの申込数を各回について合計した数。2回のフェアに申し込んだ人は2と数える。取り消された申込は数えない。"
        ),
    ),
}
FAIR_ATTENDANCE = Definition(
    "fair_attendance",
    "KPI",
    N_("転職フェア参加者数（回別）"),
    N_("人"),
    N_("各回の転職フェアに参加した人の数。"),
)
PACE_LINEAR = {
    "method": "linear",
    "note": N_(
        "平成30年度〜令和3年度は月別の実績がないため、目安は契約期間の経過日数に比例する直線で計算しています。"
    ),
}
PACE_SEASONAL = {
    "method": "seasonal",
    "note": N_("目安は過去年度の月別実績の季節パターンに沿って計算しています。"),
}


@dataclass
class LastYear:
    """The same measure on the same date one year earlier."""

    value: float | None
    estimated: bool  # from the previous year's annual figure × elapsed share

    def difference(self, actual: int) -> float | None:
        return None if self.value is None else actual - self.value

    def ratio(self, actual: int) -> float | None:
        if self.value is None or self.value == 0:
            return None
        return actual / self.value


@dataclass
class Measure:
    key: str
    kind: str
    actual: int
    target: int | None
    former_target: int | None
    expected_to_date: float | None
    projection: int | None
    status: str | None
    monthly: list[int]  # new counts per fiscal month, April first, up to the as-of date
    pace: list[float | None]  # expected cumulative figure at the end of each month
    last_year: LastYear | None = None

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.key]

    @property
    def achievement(self) -> float | None:
        return None if not self.target else self.actual / self.target

    @property
    def cumulative(self) -> list[int]:
        total, out = 0, []
        for n in self.monthly:
            total += n
            out.append(total)
        return out


@dataclass
class Progress:
    fiscal_year: int
    as_of: date
    period: tuple[date, date]
    contract_end: date
    elapsed: float
    pace_method: dict[str, str]
    measures: dict[str, Measure]
    fair_attendance: list[int | None]
    months_elapsed: int = field(default=12)

    @property
    def label(self) -> str:
        return fiscal.wareki_label(self.fiscal_year)


# ----------------------------------------------------------------------------- inputs


def today_jst() -> date:
    return datetime.now(UTC).astimezone(fiscal.JST).date()


def as_of_date(setting: str | date | None, today: date | None = None) -> date:
    """The day progress is measured at: the AS_OF_DATE setting, or today in Japan."""
    if isinstance(setting, date):
        return setting
    if setting:
        try:
            return date.fromisoformat(str(setting))
        except ValueError:
            raise InvalidInput({"AS_OF_DATE": N_("YYYY-MM-DD の形で指定してください")}) from None
    return today or today_jst()


def current_fiscal_year(setting: int | str | None, as_of: date) -> int:
    return int(setting) if setting else fiscal.fiscal_year_of(as_of)


def parse_fiscal_year(value: object) -> int:
    """A fiscal year from user input; InvalidInput (bilingual) when it is not one."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit():
        raise InvalidInput({"fy": N_("年度は西暦の数字で指定してください（例: 2022）")})
    fy = int(text)
    if not MIN_FISCAL_YEAR <= fy <= MAX_FISCAL_YEAR:
        raise InvalidInput(
            {"fy": N_("年度は%(lo)s〜%(hi)sの範囲です", lo=MIN_FISCAL_YEAR, hi=MAX_FISCAL_YEAR)}
        )
    return fy


def contract_end(session: Session, fiscal_year: int) -> date:
    plan = session.get(FiscalYearPlan, fiscal_year)
    return plan.contract_end if plan else fiscal.fiscal_year_period(fiscal_year)[1]


# ----------------------------------------------------------------------------- pace


def _fraction_linear(fiscal_year: int, day: date, end: date) -> float:
    return fiscal.elapsed_fraction(fiscal_year, day, end)


def seasonal_shape(
    session: Session, measure: str, fiscal_year: int, first_computed: int
) -> list[float] | None:
    """Average share of the year's total reached by the end of each month, from the
    past years that have records; None when there are none (then: a straight line)."""
    shapes = []
    # Only years that have begun can have records; a far-future ?fy= must not
    # cost one query per year.
    last_begun = fiscal.fiscal_year_of(datetime.now(fiscal.JST).date())
    for year in range(first_computed, min(fiscal_year, last_begun + 1)):
        whole_year = Period.of(year, fiscal.fiscal_year_period(year)[1])
        counts = monthly_counts(session, measure, whole_year)
        total = sum(counts)
        if total:
            running, shape = 0, []
            for n in counts:
                running += n
                shape.append(running / total)
            shapes.append(shape)
    if not shapes:
        return None
    return [sum(s[m] for s in shapes) / len(shapes) for m in range(12)]


def _fraction_seasonal(shape: list[float], fiscal_year: int, day: date, end: date) -> float:
    def at(d: date) -> float:
        start, fy_end = fiscal.fiscal_year_period(fiscal_year)
        if d < start:
            return 0.0
        if d >= fy_end:
            return 1.0
        m = fiscal.fiscal_month_index(d)
        month_start = fiscal.fiscal_months(fiscal_year)[m]
        following = fiscal.fiscal_months(fiscal_year)[m + 1] if m < 11 else fy_end + timedelta(1)
        within = ((d - month_start).days + 1) / (following - month_start).days
        before = shape[m - 1] if m else 0.0
        return before + (shape[m] - before) * within

    full = at(end)
    return 1.0 if day >= end or full <= 0 else min(at(day) / full, 1.0)


def status_of(actual: int, expected: float | None) -> str | None:
    if expected is None:
        return None
    if actual >= expected or expected - actual < 1:
        return "on_track"
    if actual >= AT_RISK_RATIO * expected:
        return "at_risk"
    return "behind"


# ----------------------------------------------------------------------------- progress


def first_computed_year(session: Session, fallback: int) -> int:
    """The first fiscal year computed from records: the one after the shipped history."""
    last = session.scalar(sa.select(sa.func.max(KpiHistory.fiscal_year)))
    return int(last) + 1 if last is not None else fallback


def known_years(session: Session, as_of: date) -> list[int]:
    """Fiscal years worth a link: the shipped history, years with targets, and now."""
    years = set(session.scalars(sa.select(KpiHistory.fiscal_year)))
    years |= set(session.scalars(sa.select(KpiTarget.fiscal_year).distinct()))
    years.add(fiscal.fiscal_year_of(as_of))
    return sorted(y for y in years if MIN_FISCAL_YEAR <= y <= MAX_FISCAL_YEAR)


def cached_progress(session: Session, period: Period) -> Progress:
    """:func:`progress`, reused while no write that could change it has been committed.

    The cache is per engine (so per database) and per process, keyed by the period
    and today's date in Japan (the pace reads which years have begun), and holds the
    figures generation (``models.performance``) they were computed at. Every commit
    that writes a figure's input bumps the generation in the same transaction, so a
    cached figure is served only while it is still exact; the check costs one
    one-row query.
    """
    key = ("progress", period.fiscal_year, period.as_of, period.cutoff_utc, today_jst())
    return reuse.reused(session, key, lambda: progress(session, period))


def cached_history(session: Session, as_of: date) -> list[dict]:
    """:func:`history`, reused in the same way as :func:`cached_progress` (the rows
    are shared: callers read them and build new ones, as ``year_on_year`` does)."""
    return reuse.reused(session, ("history", as_of, today_jst()), lambda: history(session, as_of))


def progress(session: Session, period: Period) -> Progress:
    """The four measures of the period's fiscal year as they stand at its as-of day."""
    fiscal_year, start, fy_end = period.fiscal_year, period.start, period.end
    effective = period.effective
    end = contract_end(session, fiscal_year)
    targets = {
        t.measure: t
        for t in session.scalars(sa.select(KpiTarget).where(KpiTarget.fiscal_year == fiscal_year))
    }
    first_computed = first_computed_year(session, fiscal_year)
    previous = fiscal_year - 1
    history_row = session.get(KpiHistory, previous) if previous < first_computed else None
    last_period = period.shifted(-1)
    month_ends = [
        (period.months[m + 1] - timedelta(days=1)) if m < 11 else fy_end for m in range(12)
    ]
    pace_method = PACE_LINEAR
    merges = load_merges(session)
    measures: dict[str, Measure] = {}
    for key in MEASURES:
        monthly = monthly_counts(session, key, period, merges=merges)
        actual = sum(monthly)
        target_row = targets.get(key)
        target = target_row.target if target_row else None
        shape = seasonal_shape(session, key, fiscal_year, first_computed)
        if shape is not None:
            pace_method = PACE_SEASONAL

        def fraction(day: date, shape: list[float] | None = shape) -> float:
            if shape is None:
                return _fraction_linear(fiscal_year, min(day, end), end)
            return _fraction_seasonal(shape, fiscal_year, day, end)

        elapsed = fraction(effective)
        expected = None if target is None else round(target * elapsed, 1)
        projection = None
        if elapsed > 0:
            projection = actual if elapsed >= 1 else math.floor(actual / elapsed + 0.5)
        pace = [None if target is None else round(target * fraction(d), 1) for d in month_ends]
        measures[key] = Measure(
            key=key,
            kind=DEFINITIONS[key].kind,
            actual=actual,
            target=target,
            former_target=target_row.former_target if target_row else None,
            expected_to_date=expected,
            projection=projection,
            status=status_of(actual, expected),
            monthly=monthly,
            pace=pace,
            last_year=_last_year(session, key, last_period, first_computed, history_row),
        )
    return Progress(
        fiscal_year=fiscal_year,
        as_of=period.measured_on,
        period=(start, fy_end),
        contract_end=end,
        elapsed=_fraction_linear(fiscal_year, min(effective, end), end),
        pace_method=pace_method,
        measures=measures,
        fair_attendance=fair_attendance(session, period, merges=merges),
        months_elapsed=period.months_elapsed,
    )


def _last_year(
    session: Session,
    measure: str,
    last_period: Period,
    first_computed: int,
    history_row: KpiHistory | None,
) -> LastYear | None:
    previous, day = last_period.fiscal_year, last_period.as_of
    if previous >= first_computed:
        return LastYear(float(sum(monthly_counts(session, measure, last_period))), estimated=False)
    annual = getattr(history_row, measure, None) if history_row is not None else None
    if annual is None:
        return None
    # Only the annual figure is known: take the share of it that a straight line
    # over that year's contract period gives for the same date, and say so.
    share = fiscal.elapsed_fraction(previous, day, contract_end(session, previous))
    return LastYear(round(annual * share, 1), estimated=True)


# ----------------------------------------------------------------------------- history


def history(session: Session, as_of: date) -> list[dict]:
    """One row per fiscal year, oldest first: the shipped history, then the years
    computed from the records up to the fiscal year of ``as_of``."""
    rows: list[dict] = []
    for h in session.scalars(sa.select(KpiHistory).order_by(KpiHistory.fiscal_year)):
        rows.append(
            {
                "fiscal_year": h.fiscal_year,
                "label": fiscal.wareki_label(h.fiscal_year),
                "new_registrants": h.new_registrants,
                "consultations": h.consultations,
                "fair_attendance": [
                    v
                    for v in (h.fair1_attendance, h.fair2_attendance, h.fair3_attendance)
                    if v is not None
                ],
                "fair_signups": h.fair_signups,
                "hires": h.hires,
            }
        )
    current = fiscal.fiscal_year_of(as_of)
    for year in range(first_computed_year(session, current), current + 1):
        period = Period.of(year, as_of)
        counts = {m: sum(monthly_counts(session, m, period)) for m in MEASURES}
        rows.append(
            {
                "fiscal_year": year,
                "label": fiscal.wareki_label(year),
                "new_registrants": counts["new_registrants"],
                "consultations": counts["consultations"],
                "fair_attendance": fair_attendance(session, period),
                "fair_signups": counts["fair_signups"],
                "hires": counts["hires"],
            }
        )
    return rows


def year_on_year(rows: list[dict]) -> list[dict]:
    """Each history row with the difference and ratio to the year before (対前年度)."""
    out = []
    previous: dict | None = None
    for row in rows:
        changes = {}
        for key in (*MEASURES, "fair_attendance_total"):
            now = _value(row, key)
            before = _value(previous, key) if previous else None
            changes[key] = (
                None
                if now is None or before is None
                else {"difference": now - before, "ratio": (now / before) if before else None}
            )
        out.append(
            {
                **row,
                "fair_attendance_total": _value(row, "fair_attendance_total"),
                "changes": changes,
            }
        )
        previous = row
    return out


def _value(row: dict | None, key: str) -> int | None:
    if row is None:
        return None
    if key == "fair_attendance_total":
        values = [v for v in row["fair_attendance"] if v is not None]
        return sum(values) if values else None
    return row[key]
