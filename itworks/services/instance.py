"""Creating an instance: folder, config, keys, schema, baseline and first admin."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.services.accounts import users
from itworks.services.keys import keyring
from itworks.services.kpi import baseline

from .. import config, crypto
from ..database import upgrade
from ..models import Setting, User

CONFIG_TEMPLATE = """\
# IT WORKS@島根 instance configuration. Every key is explained in
# config.example.toml in the source tree; values here override the defaults,
# and ITWORKS_<KEY> environment variables override this file.

# DATABASE_URL = "postgresql+psycopg://itworks@db.example/itworks"
# DEVELOPMENT = false
# PRIVACY_NOTICE_VERSION = "2022-04"
"""

KEY_ENV = {
    crypto.MASTER_KEY_FILE: crypto.MASTER_KEY_ENV,
    crypto.INDEX_KEY_FILE: crypto.INDEX_KEY_ENV,
    crypto.SESSION_KEY_FILE: crypto.SESSION_KEY_ENV,
    crypto.SIGNING_KEY_FILE: crypto.SIGNING_KEY_ENV,
}


@dataclass
class InitReport:
    instance: Path
    created_keys: list[Path]
    admin_username: str | None
    admin_password: str | None


def database_url(instance: Path, environ: Mapping[str, str] = os.environ) -> str:
    """The database the instance's settings name (the app need not start)."""
    return config.load_settings(instance, environ=environ)["DATABASE_URL"]


def _database_has_data(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("key_checks"):
            return False
        with engine.connect() as connection:
            return bool(connection.scalar(sa.text("SELECT count(*) FROM key_checks")))
    finally:
        engine.dispose()


INSTANCE_FOLDER_MODE = 0o700


def secure_folder(instance: Path) -> None:
    """Create the instance folder for its owner only (0700), or narrow it.

    It holds the database, the keys, the outbox's mail files and event
    materials: nobody else on the machine has a reason to list it.
    """
    instance.mkdir(parents=True, exist_ok=True, mode=INSTANCE_FOLDER_MODE)
    if instance.stat().st_mode & 0o777 != INSTANCE_FOLDER_MODE:
        os.chmod(instance, INSTANCE_FOLDER_MODE)


def prepare(instance: Path, environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Create the folder, config and any missing key. Refuses to put a new key
    in front of a database that already holds data (it would be unreadable)."""
    secure_folder(instance)
    config_file = instance / "config.toml"
    if not config_file.exists():
        config_file.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    keys_dir = instance / "keys"
    missing = [
        keys_dir / name
        for name, env in KEY_ENV.items()
        if not environ.get(env) and not (keys_dir / name).exists()
    ]
    if not missing:
        return []
    irreplaceable = [p for p in missing if p.name not in crypto.REPLACEABLE_KEY_FILES]
    if irreplaceable and _database_has_data(database_url(instance)):
        raise crypto.KeyConfigError(
            f"{', '.join(str(p) for p in irreplaceable)} missing, but the database already holds "
            "data: restore the original key file(s) instead of creating new ones "
            "(既存データがあるため新しい鍵は作成しません。元の鍵を戻してください)"
        )
    created = crypto.write_new_key_files(keys_dir)
    return [p for p in created if p in missing]


def setup_database(session: Session, engine: sa.Engine, vault: crypto.Vault) -> str | None:
    """Migrate, record key checks, load the baseline; create the first admin.

    Returns the generated admin password when an admin was created, else None.
    """
    upgrade(engine)
    keyring.record_checks(session, vault)
    baseline.load(session)
    if session.scalar(sa.select(User.id).where(User.role == "admin").limit(1)) is not None:
        return None
    password = crypto.generate_password()
    users.create_user(session, "admin", "admin", password, actor_label="init")
    return password


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def put_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.commit()
