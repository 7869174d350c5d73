"""Event materials (成果物): files in the instance folder with their SHA-256, limits on
size and type, names with folders refused, the listing a handover carries, audited
downloads, and the report's sheet."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from itworks.models import AuditEvent, EventMaterial
from itworks.services.engagement import materials
from itworks.services.errors import Conflict, InvalidInput
from testsupport import PASSWORD, csrf_token

PDF = b"%PDF-1.4\n" + b"x" * 2000
LIMITS = materials.Limits(max_bytes=4096, types=("pdf", "png", "jpg"))


def test_a_material_is_kept_with_its_checksum_under_the_event(
    session, instance, make_event
) -> None:
    event = make_event()
    row = materials.add_material(
        session,
        instance,
        event.public_id,
        filename="第1回 勉強会 スライド.pdf",
        data=PDF,
        kind="slides",
        limits=LIMITS,
        actor_label="t",
    )
    path = instance / "materials" / event.public_id / row.stored_name
    assert path.read_bytes() == PDF
    assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size_bytes == len(PDF)
    assert row.filename == "第1回 勉強会 スライド.pdf" and row.content_type == "application/pdf"
    assert row.stored_name.endswith(".pdf") and "スライド" not in row.stored_name
    entries = materials.manifest(session)
    assert [(e["path"], e["sha256"], e["event"]) for e in entries] == [
        (f"materials/{event.public_id}/{row.stored_name}", row.sha256, event.public_id)
    ]
    assert materials.verify(instance, entries) == []
    path.write_bytes(PDF + b"changed")
    assert materials.verify(instance, entries) == [entries[0]["path"]]
    with pytest.raises(Conflict):  # a damaged file is not handed out
        materials.open_material(session, instance, row.public_id, actor_label="t")


@pytest.mark.parametrize(
    "name",
    [
        "../secret.pdf",
        "../../etc/passwd.pdf",
        "sub/slides.pdf",
        "..\\slides.pdf",
        "C:\\Users\\x\\slides.pdf",
        "C:slides.pdf",
        ".hidden.pdf",
        "/abs/slides.pdf",
        "..",
        "bad\x00name.pdf",
    ],
)
def test_a_file_name_with_a_folder_is_refused(session, instance, make_event, name) -> None:
    event = make_event()
    with pytest.raises(InvalidInput) as caught:
        materials.add_material(
            session, instance, event.public_id, filename=name, data=PDF, limits=LIMITS
        )
    assert set(caught.value.errors) == {"file"}
    assert session.scalar(sa.select(sa.func.count(EventMaterial.id))) == 0
    assert not (instance / "materials").exists() or not any((instance / "materials").rglob("*"))
    assert not (instance.parent / "secret.pdf").exists()


def test_size_and_type_limits_are_refused_with_the_reason(session, instance, make_event) -> None:
    event = make_event()
    cases = [
        ("big.pdf", b"x" * 4097, "上限 0.00390625 MB"),
        ("script.exe", b"MZ", "pdf, png, jpg"),
        ("noextension", b"x", "pdf, png, jpg"),
        ("empty.pdf", b"", "空のファイル"),
    ]
    for name, data, reason in cases:
        with pytest.raises(InvalidInput) as caught:
            materials.add_material(
                session, instance, event.public_id, filename=name, data=data, limits=LIMITS
            )
        assert reason in str(caught.value.errors["file"]), name
    with pytest.raises(InvalidInput) as kind:
        materials.add_material(
            session, instance, event.public_id, filename="a.pdf", data=PDF, kind="video",
            limits=LIMITS,
        )  # fmt: skip
    assert set(kind.value.errors) == {"kind"}
    assert session.scalar(sa.select(sa.func.count(EventMaterial.id))) == 0


def test_limits_come_from_the_configuration(app) -> None:
    limits = materials.Limits.from_config({"MATERIAL_MAX_BYTES": 10, "MATERIAL_TYPES": [".PDF"]})
    assert limits == materials.Limits(10, ("pdf",))
    assert materials.Limits.from_config(app.config).max_bytes == app.config["MATERIAL_MAX_BYTES"]


def _coordinator(client, auth, role: str = "coordinator"):  # noqa: ANN001, ANN202
    auth.login(f"m-{role}", PASSWORD, role=role)


def test_upload_list_and_audited_download_on_the_event_page(
    app, client, auth, session, instance, make_event
) -> None:
    app.config["MATERIAL_TYPES"] = ["pdf", "png"]
    event = make_event()
    _coordinator(client, auth)
    page = client.get(f"/events/{event.public_id}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    from io import BytesIO

    response = client.post(
        f"/events/{event.public_id}/materials",
        data={"csrf_token": token, "kind": "flyer", "file": (BytesIO(PDF), "チラシ.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    refused = client.post(
        f"/events/{event.public_id}/materials",
        data={"csrf_token": token, "kind": "photo", "file": (BytesIO(b"x"), "../up.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "フォルダ" in refused.text
    session.commit()  # end the test session's snapshot
    row = session.scalar(sa.select(EventMaterial))
    page = client.get(f"/events/{event.public_id}")
    assert "チラシ.pdf" in page.text and row.sha256[:16] in page.text
    download = client.get(f"/events/materials/{row.public_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    session.commit()
    audited = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "event.material_download")
    ).all()
    assert [(a.actor, a.detail["material"]) for a in audited] == [("m-coordinator", row.public_id)]
    assert Path(instance / "materials" / event.public_id / row.stored_name).exists()


def test_the_report_lists_materials_per_event(session, instance, make_event) -> None:
    from itworks.fiscal import Period
    from itworks.reports import workbook
    from itworks.tables import events as event_tables
    from itworks.tables.audience import Audience

    first = make_event(name="勉強会A")
    second = make_event(name="勉強会B", starts=datetime(2022, 9, 3, 4, tzinfo=UTC))
    for event, name in ((second, "b.pdf"), (first, "a.pdf"), (first, "a2.png")):
        materials.add_material(
            session, instance, event.public_id, filename=name, data=PDF, limits=LIMITS
        )
    period = Period.of(2022, date(2022, 11, 20))
    table = event_tables.materials(session, period, Audience.prefecture())
    assert [(r["event"], r["filename"]) for r in table.records()] == [
        ("勉強会A", "a.pdf"),
        ("勉強会A", "a2.png"),
        ("勉強会B", "b.pdf"),
    ]
    sheets = workbook.sheets(session, period, Audience.prefecture())
    assert "materials" in [t.name for t in sheets["イベント・フェア"]]
