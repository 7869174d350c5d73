"""An event's materials (成果物: slides, flyers, photos), which the specification
asks to attach to the implementation report.

Each file is kept in ``<instance>/materials/<event public id>/`` under a random
name, with a metadata row (the uploaded name, type, size and SHA-256). The type
is judged by the file name's extension against ``MATERIAL_TYPES`` and the size
against ``MATERIAL_MAX_BYTES``; a name with a folder in it (``../``, ``a/b``,
``C:\\``…) is refused, never cleaned up silently. ``manifest`` lists every file
with its path relative to the instance, so a handover can carry them with the
data and the receiver can check each checksum. Downloads are audited.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.config import DEFAULTS
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Event, EventMaterial, User, new_public_id, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.vocabulary import MATERIAL_KINDS

FOLDER = "materials"
MAX_NAME = 200
MESSAGES = {
    "name": N_("ファイル名がありません"),
    "path": N_("ファイル名にフォルダ（/ や \\ や ..）を含めることはできません"),
    "long": N_("ファイル名は200文字までです"),
    "type": N_("このファイル形式は受け付けていません（使える形式: %(types)s）"),
    "size": N_("ファイルが大きすぎます（上限 %(limit)s MB）"),
    "empty": N_("空のファイルです"),
    "kind": N_("種類は %(codes)s のいずれかです"),
    "missing": N_("資料が見つかりません"),
    "damaged": N_("資料のファイルが記録と一致しません（チェックサム不一致）"),
}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULTS["MATERIAL_MAX_BYTES"]
    types: tuple[str, ...] = tuple(DEFAULTS["MATERIAL_TYPES"])

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            max_bytes=int(config.get("MATERIAL_MAX_BYTES", cls.max_bytes)),
            types=tuple(str(t).lower().lstrip(".") for t in config.get("MATERIAL_TYPES", ())),
        )


def event_folder(root: Path, event: Event) -> Path:
    return Path(root) / FOLDER / event.public_id


def check_filename(filename: str, limits: Limits) -> tuple[str, str]:
    """The cleaned name and its extension; InvalidInput names what is wrong."""
    name = unicodedata.normalize("NFC", (filename or "").strip())
    if not name:
        raise InvalidInput({"file": MESSAGES["name"]})
    parts = {PurePosixPath(name).name, PureWindowsPath(name).name}
    if (
        parts != {name}
        or name in (".", "..")
        or name.startswith(".")
        or any(ord(c) < 32 for c in name)
        or ":" in name
    ):
        raise InvalidInput({"file": MESSAGES["path"]})
    if len(name) > MAX_NAME:
        raise InvalidInput({"file": MESSAGES["long"]})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in limits.types:
        raise InvalidInput({"file": MESSAGES["type"].bind(types=", ".join(limits.types))})
    return name, extension


def add_material(
    session: Session,
    root: Path,
    event_public_id: str,
    *,
    filename: str,
    data: bytes,
    kind: str = "other",
    limits: Limits = Limits(),
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> EventMaterial:
    """Keep one file with an event; commits. The file is written before the row is
    committed and removed again if the commit fails, so no row lacks its file."""
    from itworks.services.engagement.audience import get_event

    errors: dict[str, Any] = {}
    if kind not in MATERIAL_KINDS:
        errors["kind"] = MESSAGES["kind"].bind(codes=", ".join(MATERIAL_KINDS))
    try:
        name, extension = check_filename(filename, limits)
    except InvalidInput as exc:
        errors.update(exc.errors)
        name = extension = ""
    if not errors:
        if len(data) == 0:
            errors["file"] = MESSAGES["empty"]
        elif len(data) > limits.max_bytes:
            megabytes = "%g" % (limits.max_bytes / 1024 / 1024)
            errors["file"] = MESSAGES["size"].bind(limit=megabytes)
    if errors:
        raise InvalidInput(errors)
    begin_write(session)
    event = get_event(session, event_public_id)
    folder = event_folder(root, event)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{new_public_id()}.{extension}"
    target = folder / stored
    temporary = folder / f".{stored}.part"
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        material = EventMaterial(
            event_id=event.id,
            kind=kind,
            filename=name,
            stored_name=stored,
            content_type=mimetypes.guess_type(f"x.{extension}")[0] or "application/octet-stream",
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_at=now or utcnow(),
            uploaded_by_id=actor.id if actor else None,
        )
        session.add(material)
        session.flush()
        audit.record(
            session,
            "event.material_add",
            actor=actor,
            actor_label=actor_label,
            entity_type="event",
            entity_id=event.public_id,
            material=material.public_id,
            kind=kind,
            size=len(data),
            sha256=material.sha256,
        )
        session.commit()
    except BaseException:
        session.rollback()
        temporary.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return material


def list_materials(session: Session, event: Event | None = None) -> list[EventMaterial]:
    """Materials, per event in event order, then in upload order."""
    query = (
        sa.select(EventMaterial)
        .join(Event, Event.id == EventMaterial.event_id)
        .order_by(Event.starts_at, Event.id, EventMaterial.uploaded_at, EventMaterial.id)
    )
    if event is not None:
        query = query.where(EventMaterial.event_id == event.id)
    return list(session.scalars(query))


def relative_path(material: EventMaterial) -> str:
    """Where the file sits, relative to the instance folder (POSIX form)."""
    return f"{FOLDER}/{material.event.public_id}/{material.stored_name}"


def manifest(session: Session, events: Iterable[Event] | None = None) -> list[dict[str, Any]]:
    """Every material as plain values (nothing personal), for a handover or a report:
    the event, the file's path relative to the instance folder, its size and SHA-256."""
    wanted = None if events is None else {e.id for e in events}
    out = []
    for material in list_materials(session):
        if wanted is not None and material.event_id not in wanted:
            continue
        out.append(
            {
                "public_id": material.public_id,
                "event": material.event.public_id,
                "event_name": material.event.name,
                "kind": material.kind,
                "filename": material.filename,
                "path": relative_path(material),
                "content_type": material.content_type,
                "size_bytes": material.size_bytes,
                "sha256": material.sha256,
                "uploaded_at": material.uploaded_at.isoformat(),
            }
        )
    return out


def open_material(
    session: Session,
    root: Path,
    public_id: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
) -> tuple[EventMaterial, bytes]:
    """A material's row and content, checked against its SHA-256; the download is
    audited (who, which file). Commits the audit event."""
    material = session.scalar(sa.select(EventMaterial).where(EventMaterial.public_id == public_id))
    if material is None:
        raise NotFound(MESSAGES["missing"])
    path = event_folder(root, material.event) / material.stored_name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(MESSAGES["missing"]) from None
    if hashlib.sha256(data).hexdigest() != material.sha256:
        raise Conflict(MESSAGES["damaged"])
    audit.record(
        session,
        "event.material_download",
        actor=actor,
        actor_label=actor_label,
        entity_type="event",
        entity_id=material.event.public_id,
        material=material.public_id,
    )
    session.commit()
    return material, data


def verify(root: Path, entries: Iterable[dict[str, Any]]) -> list[str]:
    """The paths (from ``manifest``) whose file is missing or differs from its checksum."""
    bad = []
    for entry in entries:
        path = Path(root) / entry["path"]
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            bad.append(entry["path"])
            continue
        if digest != entry["sha256"]:
            bad.append(entry["path"])
    return bad
