"""Inputs that once reached the database and ended in a 500 are now refused with
a field error (found by a review that fuzzed the forms): the stored ones."""

from __future__ import annotations

import pytest

from itworks.services.errors import InvalidInput


def test_note_with_control_characters_is_refused(session) -> None:  # noqa: ANN001
    from itworks.services.kpi import notes

    with pytest.raises(InvalidInput) as info:
        notes.save_note(
            session,
            2022,
            "hires",
            "first",
            done="実施\x0bした",
            countermeasures="",
            actor_label="test",
        )
    assert "done" in info.value.errors


@pytest.mark.parametrize("when", ["0001-01-01", "1999-12-31 23:59"])
def test_contact_dated_before_2000_is_refused(session, make_user, make_registrant, when) -> None:  # noqa: ANN001
    from itworks.models import User
    from itworks.services.tiers import recontact as tiers_recontact

    public_id = make_registrant()
    make_user("coord", "coordinator")
    actor = session.query(User).filter_by(username="coord").one()
    with pytest.raises(InvalidInput) as info:
        tiers_recontact.log_contact(
            session, public_id, tiers_recontact.CHANNELS[0], actor=actor, contacted_at=when
        )
    assert "contacted_at" in info.value.errors
