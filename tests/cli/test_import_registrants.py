"""`itworks import registrants`: encodings, headers, row errors, dry run,
all-or-nothing, idempotence and an interrupted import resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

JA_HEADER = "氏名,フリガナ,メールアドレス,電話番号,都道府県,登録日,流入経路\n"
EN_HEADER = "name,name_kana,email,phone,residence_prefecture,registered_at,utm_source\n"
GOOD_ROWS = [
    "松江 花子,マツエ ハナコ,hanako@example.jp,090-1111-0001,東京都,2022/4/1,mynavi",
    "出雲 一郎,ｲｽﾞﾓ ｲﾁﾛｳ,ichiro@example.jp,０９０－１１１１－０００２,大阪府,2022-05-10 10:30,doda",
    "浜田 次郎,はまだ じろう,jiro@example.jp,+81 90 1111 0003,32,2022年6月1日,seminar",
]


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(runner, path: Path, *flags: str) -> tuple[int, dict]:  # noqa: ANN001
    result = runner.invoke(["import", "registrants", str(path), "--json", *flags])
    return result.exit_code, json.loads(result.output)


def registrant_count(session) -> int:  # noqa: ANN001
    from itworks.models import Registrant

    session.rollback()
    return session.scalar(sa.select(sa.func.count(Registrant.id)))


@pytest.mark.parametrize(
    ("header", "encoding"),
    [(JA_HEADER, "utf-8"), (JA_HEADER, "utf-8-sig"), (JA_HEADER, "cp932"), (EN_HEADER, "utf-8")],
)
def test_good_file_imports_in_every_encoding(runner, session, tmp_path, header, encoding) -> None:
    path = write(tmp_path, header + "\n".join(GOOD_ROWS) + "\n", encoding)
    code, summary = run_import(runner, path)
    assert code == 0, summary
    assert (summary["imported"], summary["duplicates"], summary["rejected"]) == (3, 0, 0)
    assert registrant_count(session) == 3


def test_values_are_normalised_and_dates_without_zone_are_tokyo(
    runner, session, tmp_path, app
) -> None:
    from itworks.extensions import vault
    from itworks.models import Registrant
    from itworks.services.intake import registrants

    path = write(tmp_path, JA_HEADER + "\n".join(GOOD_ROWS) + "\n", "cp932")
    run_import(runner, path)
    rows = {r.utm_source: r for r in session.scalars(sa.select(Registrant))}
    assert rows["mynavi"].registered_at == datetime(2022, 3, 31, 15, 0, tzinfo=UTC)
    assert rows["doda"].registered_at == datetime(2022, 5, 10, 1, 30, tzinfo=UTC)
    assert rows["seminar"].residence_prefecture == "島根県"
    assert rows["mynavi"].source == "import"
    with app.app_context():
        personal = registrants.decrypt_fields(vault(), rows["doda"])[0]
    assert personal["name_kana"] == "イズモ イチロウ"
    assert personal["phone"] == "+819011110002"


BAD_ROWS = [
    ("name", ",ナシ,noname@example.jp,,東京都,2022-04-02,x"),
    ("email", "名無し,ナナシ,not-an-email,,東京都,2022-04-02,x"),
    ("name_kana", "山田 花子,Yamada,kana@example.jp,,東京都,2022-04-02,x"),
    ("phone", "山田 花子,ヤマダ,phone@example.jp,12-34,東京都,2022-04-02,x"),
    ("residence_prefecture", "山田 花子,ヤマダ,pref@example.jp,,ムー大陸,2022-04-02,x"),
    ("registered_at", "山田 花子,ヤマダ,date@example.jp,,東京都,2022-02-30,x"),
    ("registered_at", "山田 花子,ヤマダ,nodate@example.jp,,東京都,,x"),
    ("registered_at", "山田 花子,ヤマダ,text@example.jp,,東京都,昨日,x"),
]


@pytest.mark.parametrize(("field", "row"), BAD_ROWS)
def test_each_bad_row_is_rejected_with_line_and_field(
    runner, session, tmp_path, field, row
) -> None:
    lines = [GOOD_ROWS[0], row, GOOD_ROWS[1]]
    path = write(tmp_path, JA_HEADER + "\n".join(lines) + "\n")
    code, summary = run_import(runner, path)
    assert code == 1
    assert (summary["imported"], summary["rejected"]) == (2, 1)
    assert {(e["row"], e["field"]) for e in summary["errors"]} == {(3, field)}
    assert all(" / " in e["message"] for e in summary["errors"])
    assert registrant_count(session) == 2


def test_errors_never_echo_personal_values(runner, tmp_path) -> None:
    path = write(tmp_path, JA_HEADER + BAD_ROWS[3][1] + "\n" + BAD_ROWS[1][1] + "\n")
    result = runner.invoke(["import", "registrants", str(path)])
    for value in ("12-34", "not-an-email", "山田", "名無し"):
        assert value not in result.output


def test_duplicates_of_existing_people_and_of_earlier_rows(runner, session, tmp_path) -> None:
    first = write(tmp_path, JA_HEADER + GOOD_ROWS[0] + "\n", name="first.csv")
    run_import(runner, first)
    rows = [
        GOOD_ROWS[1],
        "松江 花子,マツエ ハナコ,ＨＡＮＡＫＯ＠example.jp,,東京都,2022/4/1,mynavi",  # existing
        "出雲 一郎,イズモ イチロウ,other@example.jp,09011110002,大阪府,2022-05-10,doda",  # row 2
    ]
    code, summary = run_import(runner, write(tmp_path, JA_HEADER + "\n".join(rows) + "\n"))
    assert code == 0
    assert (summary["imported"], summary["duplicates"]) == (1, 2)
    assert registrant_count(session) == 2


def test_dry_run_writes_nothing(runner, session, tmp_path) -> None:
    path = write(tmp_path, JA_HEADER + "\n".join([*GOOD_ROWS, BAD_ROWS[1][1]]) + "\n")
    code, summary = run_import(runner, path, "--dry-run")
    assert code == 1 and summary["dry_run"] is True
    assert (summary["imported"], summary["rejected"]) == (3, 1)
    assert registrant_count(session) == 0


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(runner, session, tmp_path) -> None:
    path = write(tmp_path, JA_HEADER + "\n".join([*GOOD_ROWS, BAD_ROWS[1][1]]) + "\n")
    code, summary = run_import(runner, path, "--all-or-nothing")
    assert code == 1 and summary["imported"] == 0
    assert registrant_count(session) == 0
    good = write(tmp_path, JA_HEADER + "\n".join(GOOD_ROWS) + "\n", name="good.csv")
    code, summary = run_import(runner, good, "--all-or-nothing")
    assert code == 0 and summary["imported"] == 3
    assert registrant_count(session) == 3


def test_importing_twice_changes_nothing_the_second_time(runner, session, tmp_path) -> None:
    from itworks.models import DataKey, RegistrantIdentifier, UtmTouch

    path = write(tmp_path, JA_HEADER + "\n".join(GOOD_ROWS) + "\n")
    run_import(runner, path)

    def snapshot():  # noqa: ANN202
        session.rollback()
        return [
            session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (DataKey, RegistrantIdentifier, UtmTouch)
        ] + [registrant_count(session)]

    before = snapshot()
    code, summary = run_import(runner, path)
    assert code == 0
    assert (summary["imported"], summary["duplicates"]) == (0, 3)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "field"),
    [("", "file"), ("氏名,電話番号\n山田,090-0000-0000\n", "email"), (b"\xff\xfe\x00\x81", "file")],
)
def test_unusable_files_are_refused_whole(runner, session, tmp_path, text, field) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, summary = run_import(runner, path)
    assert code == 1
    assert field in {e["field"] for e in summary["errors"]}
    assert registrant_count(session) == 0


def test_an_import_killed_halfway_leaves_whole_rows_and_resumes(
    instance, database_url, session, tmp_path
) -> None:
    from itworks.models import DataKey, Registrant, RegistrantIdentifier

    total = 6000  # several batches of registrant_import.BATCH_ROWS, so the kill lands between two
    lines = [
        f"テスト {n},テスト,bulk{n}@example.jp,080-0000-{n:04d},東京都,2022-06-01,x"
        for n in range(total)
    ]
    path = write(tmp_path, JA_HEADER + "\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env.update(ITWORKS_INSTANCE=str(instance), ITWORKS_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "itworks.cli", "import", "registrants", str(path), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while registrant_count(session) < 100 and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    partial = registrant_count(session)
    assert 100 <= partial < total, "the import was not interrupted halfway"
    # No half-written registrant: every row has its data key and identifiers.
    orphans = session.scalar(
        sa.select(sa.func.count(Registrant.id)).where(
            ~Registrant.identifiers.any() | ~sa.exists().where(DataKey.id == Registrant.data_key_id)
        )
    )
    assert orphans == 0
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    summary = json.loads(resumed.stdout)
    assert resumed.returncode == 0
    assert summary["imported"] + summary["duplicates"] == total
    assert summary["duplicates"] >= partial
    assert registrant_count(session) == total
    assert (
        session.scalar(
            sa.select(sa.func.count(sa.distinct(RegistrantIdentifier.digest))).where(
                RegistrantIdentifier.kind == "email"
            )
        )
        == total
    )


def test_export_writes_excel_csv_with_decrypted_fields(runner, session, tmp_path) -> None:
    from itworks.models import AuditEvent

    run_import(runner, write(tmp_path, JA_HEADER + "\n".join(GOOD_ROWS) + "\n"))
    out = tmp_path / "export.csv"
    result = runner.invoke(["export", "registrants", str(out)])
    assert result.exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "松江 花子" in text and "hanako@example.jp" in text and "+819011110002" in text
    assert text.splitlines()[0].startswith("public_id,name,name_kana,email")
    assert out.stat().st_mode & 0o777 == 0o600
    session.rollback()
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "registrant.export"))
    assert event.detail == {"rows": 3}
