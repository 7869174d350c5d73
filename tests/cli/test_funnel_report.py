"""`itworks report`: one workbook that opens with openpyxl and holds the right numbers."""

from __future__ import annotations

import pytest
from funnelsupport import Records
from openpyxl import load_workbook


@pytest.fixture
def year(session) -> None:  # noqa: ANN001
    r = Records(session)
    people = [r.person("2022-05-01T00:00:00Z") for _ in range(8)]
    r.person("2022-03-31T15:30:00Z")  # 1 April 00:30 JST: FY2022
    company = r.company()
    for p in people[:2]:
        r.hire(p, "2022-09-01T00:00:00Z", company)
    r.consultation(people[0], "2022-06-01T00:00:00Z")
    r.consultation(people[0], "2022-07-01T00:00:00Z")  # the same person: once
    fair = r.fair(1, "2022-07-09T04:00:00Z")
    for p in people[:6]:
        r.signup(fair, p, "2022-06-20T00:00:00Z", "attended")
    from itworks.services.kpi import notes

    notes.save_note(
        session, 2022, "hires", "first", done="企業説明会を2回", countermeasures="面談を増やす",
        actor_label="test",
    )  # fmt: skip


def _section(sheet, title: str) -> list[tuple]:  # noqa: ANN001
    """The header and body rows of one titled section of a sheet."""
    rows = _rows(sheet)
    start = next(n for n, row in enumerate(rows) if row[0] == title) + 1
    end = next((n for n in range(start + 1, len(rows)) if rows[n][1] is None), len(rows))
    return rows[start:end]


def _rows(sheet) -> list[tuple]:  # noqa: ANN001
    return [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]


def test_report_command_writes_the_workbook(runner, year, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "report.xlsx"
    result = runner.invoke(["report", "--fy", "2022", "--out", str(out), "--as-of", "2022-11-20"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == [
        "表紙",
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
    ]
    assert "令和4年度" in book["表紙"]["A2"].value
    kpi = _rows(book["KGI・KPI"])
    header = kpi[1]
    assert header[:7] == ("区分", "指標", "実績", "目標", "達成率", "旧目標", "旧目標達成率")
    by_label = {row[1]: row for row in kpi[2:]}
    hires = by_label["UIターンIT技術者の採用数"]
    assert hires[2:7] == (2, 30, pytest.approx(2 / 30, abs=1e-4), 20, 0.1)
    assert by_label["新規登録者数"][2:4] == (9, 290)
    assert by_label["キャリア相談者数"][2:4] == (1, 90)
    assert by_label["転職フェア申込者数（3回計）"][2:4] == (6, 300)
    assert by_label["転職フェア参加者数（第1回）"][2] == 6
    ws = book["KGI・KPI"]
    assert ws.cell(row=3, column=5).number_format == "0%"
    assert ws.column_dimensions["B"].width > 20

    history = _rows(book["年度推移"])
    # One history table everywhere: the sheet has the CSV's columns.
    assert history[1][:3] == ("年度", "西暦年度", "新規登録者数")
    assert history[2][:3] == ("平成30年度", 2018, 210)
    assert any(row[:2] == ("令和4年度", 2022) for row in history)

    counted = {"到達人数", "人数", "登録", "アンケート回答", "キャリア相談", "フェア申込",
               "フェア参加", "企業紹介", "採用", "計"}  # fmt: skip
    header: tuple = ()
    for row in book["ファネル"].iter_rows(values_only=True):
        if row[0] in ("段階", "理由") or (row[1] in counted and row[0] and "別" in row[0]):
            header = row
            continue
        for name, value in zip(header, row, strict=False):
            if name == "登録" and (header[0] == "登録月別" or row[0] == "計"):
                # The new-registrant KPI and its months: official figures, published
                # exactly as on the monthly sheet (checked below).
                continue
            if name in counted:
                assert not (isinstance(value, int) and 1 <= value < 5), row
    month_split = _section(book["ファネル"], "段階別人数（登録月別）")
    monthly = _section(book["月次推移"], "月次の進捗")
    column = monthly[0].index("新規登録者数（月）")
    by_month = {row[0]: row[column] for row in monthly[1:] if row[column]}
    assert (
        {row[0]: row[1] for row in month_split[1:-1]}
        == by_month
        == {
            "2022年4月": 1,
            "2022年5月": 8,
        }
    )
    notes = _rows(book["半期メモ"])
    assert ("UIターンIT技術者の採用数", "上期", "企業説明会を2回", "面談を増やす") == notes[2][:4]
    survey = _rows(book["アンケート集計結果"])
    assert survey  # tallies, or the explicit "not yet available" row


@pytest.mark.parametrize("fy", ["abc", "1800"])
def test_report_refuses_a_bad_year(runner, tmp_path, fy) -> None:  # noqa: ANN001
    result = runner.invoke(["report", "--fy", fy, "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 1
    assert not (tmp_path / "r.xlsx").exists()


def test_free_text_that_looks_like_a_formula_stays_text(runner, year, session, tmp_path) -> None:
    from itworks.services.kpi import notes
    from itworks.services.publicity import campaigns as publicity

    publicity.create_campaign(
        session,
        {
            "name": '=HYPERLINK("http://x","y")',
            "channel": "web_ad",
            "utm_campaign": "fy2022_formula",
            "starts_on": "2022-04-01",
            "cost_yen": "1000",
        },
        actor_label="test",
    )
    notes.save_note(
        session, 2022, "consultations", "first", done="=1+1", countermeasures="@SUM(1)",
        actor_label="test",
    )  # fmt: skip
    session.commit()
    out = tmp_path / "report.xlsx"
    result = runner.invoke(["report", "--fy", "2022", "--out", str(out), "--as-of", "2022-11-20"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert {'=HYPERLINK("http://x","y")', "=1+1"} <= values
