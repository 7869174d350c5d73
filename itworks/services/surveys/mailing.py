"""The mail merge of an invitation round: each open link with the name and
email it goes to. Decrypts personal data, so every call is audited."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from sqlalchemy.orm import Session

from itworks.crypto import LinkSigner, Vault
from itworks.services import audit
from itworks.services.intake import registrants
from itworks.services.surveys import links

COLUMNS = ("name", "email", "arm", "url", "expires_at")


@dataclass(frozen=True)
class MailingRow:
    name: str | None
    email: str | None
    arm: str | None
    url: str
    expires_at: str

    def as_row(self) -> tuple[str | None, ...]:
        """The values in ``COLUMNS`` order."""
        return astuple(self)


def round_mailing(
    session: Session,
    vault: Vault,
    signer: LinkSigner,
    round_name: str,
    base_url: str,
    *,
    actor_label: str,
) -> list[MailingRow]:
    """Every open link of the round (by name or public id) with its URL under
    ``base_url``, for the mail merge; records who took the list and commits."""
    round_ = links.get_round(session, round_name)
    base = base_url.rstrip("/")
    out = []
    for registrant, link, token in links.round_links(session, signer, round_):
        personal, _ = registrants.decrypt_fields(vault, registrant, ("name", "email"))
        out.append(
            MailingRow(
                personal["name"],
                personal["email"],
                link.arm,
                f"{base}/s/{token}",
                link.expires_at.isoformat(),
            )
        )
    audit.record(
        session,
        "survey.round_links",
        actor_label=actor_label,
        entity_type="round",
        entity_id=round_.public_id,
        rows=len(out),
    )
    session.commit()
    return out
