"""`itworks segment`, `itworks import tiers` and `itworks recontact due`."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from tiersupport import add_people, run_segmentation

GOOD_AND_BAD = (
    "email,tier,reason\n"
    "taro1@example.jp,move_now,\n"
    "ＴＡＲＯ2@example.jp,何年か先にUIターンを検討中,tier_interview\n"
    "nobody@example.jp,move_now,\n"
    "not-an-email,one_option,\n"
    "taro3@example.jp,later,\n"
    "taro4@example.jp,one_option,because\n"
)


@pytest.fixture
def people(app, make_registrant):
    return add_people(app, make_registrant, per_tier=3)


def _methods(app):  # noqa: ANN001, ANN202
    from itworks.db import db
    from itworks.models import TierAssignment

    with app.app_context():
        return db.session.execute(
            sa.select(TierAssignment.method, sa.func.count()).group_by(TierAssignment.method)
        ).all()


def test_segment_json_without_confirmed_tiers(runner, people) -> None:
    result = runner.invoke(["segment", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["registrants"] == len(people) and summary["confirmed"] == 0
    assert sum(summary["cluster_sizes"].values()) == len(people)
    assert "silhouette" in summary and summary["personas"]
    assert "accuracy_vs_confirmed" not in summary


def test_segment_json_compares_model_and_rule_on_confirmed_tiers(app, runner, people, tmp_path):
    rows = [f"taro{n}@example.jp,{tier}" for n, tier in enumerate(people.values(), start=1)]
    path = tmp_path / "tiers.csv"
    path.write_text("email,tier\n" + "\n".join(rows[:8]) + "\n", encoding="utf-8")
    assert runner.invoke(["import", "tiers", str(path)]).exit_code == 0
    result = runner.invoke(["segment", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["confirmed"] == 8
    assert 0.0 <= summary["accuracy_vs_confirmed"] <= 1.0
    assert 0.0 <= summary["baseline_accuracy_vs_confirmed"] <= 1.0
    assert summary["agreement"]["n"] == 8
    assert set(summary["agreement"]["model"]["per_tier"]) == {
        "move_now",
        "few_years",
        "region_undecided",
        "one_option",
    }
    human = runner.invoke(["segment"])
    assert "rule baseline" in human.output and "confirmed" in human.output


def test_segment_with_nobody_fails_clearly(runner) -> None:
    result = runner.invoke(["segment", "--json"])
    assert result.exit_code == 1
    assert "no registrants" in result.output


def test_import_tiers_good_bad_and_unknown_rows(app, runner, people, tmp_path) -> None:
    path = tmp_path / "tiers.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    result = runner.invoke(["import", "tiers", str(path), "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert (summary["imported"], summary["duplicates"], summary["rejected"]) == (2, 0, 4)
    errors = {(e["row"], e["field"]) for e in summary["errors"]}
    assert errors == {(4, "email"), (5, "email"), (6, "tier"), (7, "reason")}
    unknown = next(e for e in summary["errors"] if e["row"] == 4)
    assert "No registrant has this email" in unknown["message"]
    assert "nobody" not in json.dumps(summary["errors"])  # no personal value echoed
    assert dict(_methods(app)) == {"import": 2}
    # Running it again changes nothing: both good rows are duplicates now.
    again = json.loads(runner.invoke(["import", "tiers", str(path), "--json"]).output)
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert dict(_methods(app)) == {"import": 2}


def test_import_tiers_dry_run_and_all_or_nothing_write_nothing(app, runner, people, tmp_path):
    path = tmp_path / "tiers.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    dry = json.loads(runner.invoke(["import", "tiers", str(path), "--dry-run", "--json"]).output)
    assert dry["dry_run"] and (dry["imported"], dry["rejected"]) == (2, 4)
    strict = runner.invoke(["import", "tiers", str(path), "--all-or-nothing", "--json"])
    assert strict.exit_code == 1 and json.loads(strict.output)["imported"] == 0
    assert _methods(app) == []


def test_import_tiers_reads_shift_jis_with_japanese_headers(app, runner, people, tmp_path):
    path = tmp_path / "面談記録.csv"
    text = (
        "メールアドレス,ティア,理由\r\n"
        "taro1@example.jp,UIターンも選択肢の一つ,面談での聞き取りによる\r\n"
    )
    path.write_bytes(text.encode("cp932"))
    result = runner.invoke(["import", "tiers", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported: 1" in result.output
    from itworks.db import db
    from itworks.models import TierAssignment

    with app.app_context():
        row = db.session.scalar(sa.select(TierAssignment))
    assert (row.tier, row.method, row.reason_code) == ("one_option", "import", "tier_interview")


def test_import_tiers_refuses_a_file_without_the_columns(runner, tmp_path) -> None:
    path = tmp_path / "tiers.csv"
    path.write_text("mail_address,level\nx@example.jp,1\n", encoding="utf-8")
    result = runner.invoke(["import", "tiers", str(path), "--json"])
    assert result.exit_code == 1
    fields = {e["field"] for e in json.loads(result.output)["errors"]}
    assert fields == {"email", "tier"}


def test_recontact_due_lists_public_ids_only(app, runner, people) -> None:
    run_segmentation(app)
    result = runner.invoke(["recontact", "due", "--date", "2022-07-01", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    # Registered 2022-06-01: move_now (14 days) is due by 1 July, the others are not.
    assert {r["tier"] for r in payload["registrants"]} == {"move_now"}
    assert payload["due"] == 3 and payload["date"] == "2022-07-01"
    assert set(payload["registrants"][0]) == {
        "public_id",
        "tier",
        "method",
        "last_contact",
        "contacted",
        "next_contact",
        "days_overdue",
    }
    assert payload["registrants"][0]["days_overdue"] == 16
    later = runner.invoke(["recontact", "due", "--date", "2023-06-01", "--tier", "one_option"])
    assert later.exit_code == 0 and later.output.startswith("3 due on 2023-06-01")
    assert "島根" not in later.output
    bad = runner.invoke(["recontact", "due", "--date", "soon"])
    assert bad.exit_code == 1
