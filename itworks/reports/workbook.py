"""The implementation report (実施報告書) as one Excel workbook: cover, KGI/KPI against
target, year-on-year history, monthly progress, stage funnel, publicity, survey tallies,
events and fairs, and the half-year notes. Aggregates only, small cells suppressed:
the workbook is handed to the prefecture."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.config import DEFAULTS
from itworks.fiscal import Period
from itworks.models import User
from itworks.services import audit
from itworks.tables import (
    events,
    flow,
    kpi,
    notes,
    publicity,
    service_levels,
    stage_tables,
    stages,
    suppression,
    tallies,
)
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, clean, frame

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)


# Excel number formats by column kind (tables.table.KINDS).
NUMBER_FORMATS = {
    "count": "#,##0",
    "number": "#,##0.0",
    "days": "#,##0.0",
    "ratio": "0%",
    "rate": "0%",
    "yen": "¥#,##0",
}


def _value(value: Any, kind: str) -> object:
    """A published value as the sheet holds it: ratios as numbers (shown as %), a list
    of counts as text."""
    value = clean(value)
    if kind == "counts":
        return " / ".join("—" if v is None else str(v) for v in value or [])
    if kind in ("ratio", "rate") and isinstance(value, int | float):
        return round(float(value), 4)
    return value


def sheet_frame(table: Table) -> pd.DataFrame:
    """The table as it is written on its sheet, under its labels."""
    if table.frame.empty:
        return pd.DataFrame({table.labels[0] or "状況": [table.empty]})
    kinds = [c.kind for c in table.columns]
    return pd.DataFrame(
        [
            [_value(v, kind) for v, kind in zip(values, kinds, strict=True)]
            for _, values in table.rows()
        ],
        columns=table.labels,
        dtype=object,
    )


def sheets(
    session: Session,
    period: Period,
    audience: Audience,
    level_days: int = DEFAULTS["FIRST_CONTACT_BUSINESS_DAYS"],
) -> dict[str, list[Table]]:
    """Every sheet after the cover with the published tables it shows, in order;
    ``level_days`` is the first-contact service level (FIRST_CONTACT_BUSINESS_DAYS)."""
    progress = kpi.measured(session, period)
    partition = stages.partition(session, period)
    reached = stage_tables.reached(session, period, audience, partition=partition)
    surveys = tallies.survey_tables(session, period, audience) or [_no_responses(audience)]
    return {
        "KGI・KPI": [kpi.kpi(session, period, audience, progress=progress)],
        "年度推移": [kpi.history(session, period, audience)],
        "月次推移": [kpi.monthly(session, period, audience, progress=progress)],
        "ファネル": [
            stage_tables.overall(session, period, audience, partition=partition),
            *reached.values(),
            stage_tables.timing(session, period, audience),
            stage_tables.exits(session, period, audience),
        ],
        "初回連絡・定着": [
            service_levels.first_contact_by_month(session, period, audience, level_days),
            service_levels.settling(session, period, audience),
        ],
        "広報評価": [
            publicity.evaluation(session, period, audience, model="first"),
            publicity.channel_mix(session, period, audience),
        ],
        "アンケート集計結果": surveys,
        "イベント・フェア": [
            events.events(session, period, audience),
            events.materials(session, period, audience),
        ],
        "半期メモ": [notes.notes(session, period, audience)],
        "対応フロー": [flow.flowchart(audience)],
    }


def _no_responses(audience: Audience) -> Table:
    columns = [Column("status", "状況", "text")]
    return Table(
        "survey", "アンケート集計結果", columns, frame([], [], ["status"]), audience,
        empty="回答なし",
    )  # fmt: skip


# ----------------------------------------------------------------------------- workbook


def _text_stays_text(book: Workbook) -> None:
    """Campaign names, notes and other free text that begin with "=" stay text.

    openpyxl types a string by its first character, so "=HYPERLINK(…)" would become a
    live formula in the prefecture's copy. The report writes no formula of its own.
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    longest = max((line for line in text.splitlines()), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _write_sections(writer: pd.ExcelWriter, sheet: str, tables: list[Table]) -> None:
    row = 0
    for table in tables:
        frame = sheet_frame(table)
        frame.to_excel(writer, sheet_name=sheet, startrow=row + 1, index=False)
        ws = writer.sheets[sheet]
        ws.cell(row=row + 1, column=1, value=table.title).font = SECTION_FONT
        header_row = row + 2
        kinds = [c.kind for c in table.columns] if not table.frame.empty else ["text"]
        for col, kind in enumerate(kinds, start=1):
            cell = ws.cell(row=header_row, column=col)
            cell.fill = HEADER_FILL
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            number_format = NUMBER_FORMATS.get(kind)
            for r in range(header_row + 1, header_row + 1 + len(frame)):
                body = ws.cell(row=r, column=col)
                if isinstance(body.value, int | float) and number_format:
                    body.number_format = number_format
                elif (
                    isinstance(body.value, str)
                    and suppression.is_hidden(body.value)
                    and (body.value.startswith("<") or body.value == suppression.COMPLEMENT_MARKER)
                ):
                    body.alignment = Alignment(horizontal="right")
                elif isinstance(body.value, str) and len(body.value) > 40:
                    body.alignment = Alignment(wrap_text=True, vertical="top")
        row = header_row + len(frame)
        if table.note:
            ws.cell(row=row + 1, column=1, value=table.note).font = Font(italic=True)
            row += 1
        row += 2
    ws = writer.sheets[sheet]
    for col in range(1, ws.max_column + 1):
        letter = get_column_letter(col)
        widest = max(
            (_width(ws.cell(row=r, column=col).value) for r in range(1, ws.max_row + 1)),
            default=8,
        )
        ws.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = "A3"


def _cover(writer: pd.ExcelWriter, kpi_table: Table, k: int, generated_by: str) -> None:
    meta = kpi_table.meta
    fiscal_year, period, contract_end, as_of = (
        meta["fiscal_year"], meta["period"], meta["contract_end"], meta["as_of"]
    )  # fmt: skip
    lines = [
        ("IT WORKS@島根 実施報告書", None),
        (f"{fiscal.wareki_label(fiscal_year)}（FY{fiscal_year}）", None),
        ("", None),
        ("対象期間", f"{period[0].isoformat()} 〜 {period[1].isoformat()}"),
        ("契約期間の終了日", f"{contract_end.isoformat()}（{fiscal.wareki_date(contract_end)}）"),
        ("基準日", f"{as_of.isoformat()}（{fiscal.wareki_date(as_of)}）"),
        ("作成日時", f"{datetime.now(UTC).astimezone(fiscal.JST):%Y-%m-%d %H:%M} (JST)"),
        ("作成者", generated_by),
        ("発注者", "島根県 商工労働部 産業振興課"),
        (
            "個人情報の取扱い",
            f"集計値のみを掲載しています。内訳の1〜{k - 1}人の区分は「<{k}」、そこから逆算できる"
            "区分は「x」で秘匿しています（KGI・KPIの公式合計値は秘匿しません）。",
        ),
        ("", None),
        ("目次", None),
    ]
    for sheet in SHEETS:
        lines.append((f"・{sheet}", None))
    frame = pd.DataFrame(lines)
    frame.to_excel(writer, sheet_name="表紙", index=False, header=False)
    ws = writer.sheets["表紙"]
    ws["A1"].font = Font(bold=True, size=18)
    ws["A2"].font = TITLE_FONT
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_row=4, max_row=10):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True)


SHEETS = (
    "KGI・KPI",
    "年度推移",
    "月次推移",
    "ファネル",
    "初回連絡・定着",
    "広報評価",
    "アンケート集計結果",
    "イベント・フェア",
    "半期メモ",
    "対応フロー",
)


def write_report(
    session: Session,
    fiscal_year: int,
    as_of: date,
    out: str | Path | BinaryIO,
    *,
    k: int,
    level_days: int = DEFAULTS["FIRST_CONTACT_BUSINESS_DAYS"],
    actor: User | None = None,
    actor_label: str | None = None,
) -> list[str]:
    """Write the workbook to ``out`` (a path or a binary file); returns the sheet names.

    The workbook is handed to the prefecture: every sheet is the prefecture's copy of
    its published table, small cells suppressed with ``k``.
    """
    generated_by = actor.username if actor else (actor_label or "system")
    period = Period.of(fiscal_year, as_of)
    measured_at = period.measured_on
    tables = sheets(session, period, Audience.prefecture(k), level_days)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        _cover(writer, tables["KGI・KPI"][0], k, generated_by)
        for name, sheet_tables in tables.items():
            _write_sections(writer, name, sheet_tables)
        _text_stays_text(writer.book)
    audit.record(
        session,
        "report.generate",
        actor=actor,
        actor_label=actor_label,
        entity_type="report",
        entity_id=str(fiscal_year),
        as_of=measured_at.isoformat(),
    )
    session.commit()
    return ["表紙", *tables]
