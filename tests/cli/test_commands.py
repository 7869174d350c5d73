"""Commands whose behaviour changed with issue 10: the current fiscal year by
default, a report that fails loudly, and key rotation refusing an env key."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_targets_list_defaults_to_the_current_fiscal_year(runner, monkeypatch) -> None:  # noqa: ANN001
    set_2023 = ["targets", "set", "--fy", "2023", "--measure", "hires", "--target", "41"]
    assert runner.invoke(set_2023).exit_code == 0
    # 31 March is still the old fiscal year in Japan; 1 April starts the new one.
    monkeypatch.setenv("ITWORKS_AS_OF_DATE", "2023-03-31")
    before = runner.invoke(["targets", "list"])
    assert before.exit_code == 0
    assert before.output == runner.invoke(["targets", "list", "--fy", "2022"]).output
    monkeypatch.setenv("ITWORKS_AS_OF_DATE", "2023-04-01")
    after = runner.invoke(["targets", "list"])
    assert after.exit_code == 0
    assert any(
        line.startswith("hires\t") and "\t41\t" in line for line in after.output.splitlines()
    )
    assert after.output == runner.invoke(["targets", "list", "--fy", "2023"]).output


def test_targets_list_refuses_a_bad_as_of_date(runner, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ITWORKS_AS_OF_DATE", "soon")
    result = runner.invoke(["targets", "list"])
    assert result.exit_code == 1 and "AS_OF_DATE" in result.output


def test_report_fails_loudly_and_writes_nothing_when_a_table_fails(
    runner, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    """A table that cannot be built stops the report: no workbook with a gap."""
    from itworks.tables import tallies

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("survey tallies broken")

    monkeypatch.setattr(tallies, "survey_tables", broken)
    out = tmp_path / "report.xlsx"
    with pytest.raises(RuntimeError, match="survey tallies broken"):
        runner.invoke(["report", "--fy", "2022", "--out", str(out), "--as-of", "2022-11-20"])
    assert not out.exists()


def test_no_placeholder_text_is_left_for_the_report() -> None:
    root = Path(__file__).resolve().parents[2] / "itworks"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "未実装" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_keys_rotate_refuses_a_master_key_from_the_environment(
    runner, instance: Path, monkeypatch
) -> None:  # noqa: ANN001
    key_file = instance / "keys" / "master.key"
    monkeypatch.setenv("ITWORKS_MASTER_KEY", key_file.read_text().strip())
    before = key_file.read_text()
    result = runner.invoke(["keys", "rotate"])
    assert result.exit_code == 2
    assert "ITWORKS_MASTER_KEY is set" in result.output
    assert key_file.read_text() == before


@pytest.mark.parametrize("args", [["--help"], ["users", "--help"], ["import", "tiers", "--help"]])
def test_the_package_runs_as_a_module(args: list[str]) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "itworks.cli", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_a_private_file_written_over_an_open_one_ends_up_0600(tmp_path) -> None:
    from itworks.cli.common import private_text_file

    path = tmp_path / "export.csv"
    path.write_text("old")
    path.chmod(0o644)
    with private_text_file(path) as handle:
        handle.write("new")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == "new"
