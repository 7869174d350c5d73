"""Demo survey answers: each demo registrant has a hidden persona, and answers
roughly as that persona would; some answers contradict each other and some
are missing, as in real data. One finished invitation round with two arms."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import surveys
from itworks.crypto import LinkSigner, Vault
from itworks.models import InvitationRound, Registrant, SurveyLink
from itworks.services.surveys import links as survey_links
from itworks.services.surveys import responses as survey_responses

# persona → (weight, {question: [(code, weight), …]})
PERSONAS: dict[str, tuple[int, dict[str, list[tuple[str, int]]]]] = {
    "move_now": (
        25,
        {
            "move_timing": [("asap", 5), ("within_1y", 5)],
            "destination": [("shimane", 8), ("shimane_or_nearby", 2)],
            "job_change_timing": [("within_3m", 5), ("within_1y", 5)],
            "event_interest": [("job_fair", 6), ("company_visit", 4), ("online_consultation", 3)],
        },
    ),
    "few_years": (
        30,
        {
            "move_timing": [("1_3y", 6), ("3y_plus", 4)],
            "destination": [("shimane", 5), ("shimane_or_nearby", 5)],
            "job_change_timing": [("1_3y", 6), ("within_1y", 2), ("no_plan", 2)],
            "event_interest": [("study_session", 6), ("meetup", 5), ("online_consultation", 3)],
        },
    ),
    "region_undecided": (
        20,
        {
            "move_timing": [("within_1y", 4), ("1_3y", 6)],
            "destination": [("region_undecided", 9), ("shimane_or_nearby", 1)],
            "job_change_timing": [("within_1y", 5), ("1_3y", 5)],
            "event_interest": [("meetup", 5), ("online_consultation", 5), ("study_session", 3)],
        },
    ),
    "one_option": (
        25,
        {
            "move_timing": [("undecided", 6), ("3y_plus", 4)],
            "destination": [("not_sure", 8), ("region_undecided", 2)],
            "job_change_timing": [("no_plan", 5), ("1_3y", 5)],
            "event_interest": [("study_session", 4), ("none", 3), ("meetup", 3)],
        },
    ),
}


# Nothing in the demo happens after its "today" (AS_OF_DATE 2022-11-20, JST).
LAST_ANSWER = datetime(2022, 11, 20, 9, 0, tzinfo=UTC)


def _codes(instrument: surveys.Instrument, question_id: str) -> list[str]:
    """The question's codes from the instrument itself, less the catch-all "other"."""
    return [c for c in instrument.question(question_id).codes if c != "other"]


def _pick(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in options], [w for _, w in options])[0]


def _age_band(birth_year: int | None) -> str | None:
    if birth_year is None:
        return None
    age = 2022 - birth_year
    for limit, band in (
        (25, "under_25"),
        (30, "25_29"),
        (35, "30_34"),
        (40, "35_39"),
        (45, "40_44"),
        (50, "45_49"),
    ):
        if age < limit:
            return band
    return "50_plus"


def answers_for(rng: random.Random, persona: str, registrant: Registrant) -> dict:
    """Raw answers as this persona would give them (core items, then attributes)."""
    _, core = PERSONAS[persona]
    instrument = survey_responses.current_instrument()
    connection = {"u_turn": "born_raised", "i_turn": "none"}.get(registrant.origin)
    answers: dict = {
        "move_timing": _pick(rng, core["move_timing"]),
        "destination": _pick(rng, core["destination"]),
        "shimane_connection": connection or rng.choice(["family", "lived_or_studied", "none"]),
        "job_change_timing": _pick(rng, core["job_change_timing"]),
        "age_band": _age_band(registrant.birth_year) or "30_34",
        "experience_years": max(0, min(40, int(rng.gauss(9, 5)))),
        "skills": rng.sample(_codes(instrument, "skills"), k=rng.randint(1, 3)),
        "work_style": rng.choices(["onsite", "hybrid", "remote"], [2, 5, 3])[0],
        "household": rng.choice(["single", "couple", "couple_children", "with_parents"]),
        "concerns": rng.sample(_codes(instrument, "concerns"), k=rng.randint(1, 3)),
        "event_interest": [_pick(rng, core["event_interest"])],
        "contact_channel": rng.choices(["email", "phone", "line", "online_meeting"], [6, 1, 2, 2])[
            0
        ],
    }
    if answers["household"] != "single" and rng.random() < 0.5:
        answers["concerns"] = sorted({*answers["concerns"], "partner_job"})
    if rng.random() < 0.10:  # contradictory: in a hurry, yet unsure whether to move at all
        answers["move_timing"], answers["destination"] = "asap", "not_sure"
    return answers


def hidden_personas(session: Session, seed: int = 2022) -> dict[int, str]:
    """The persona (a tier code) each demo registrant answers as; the same for a seed."""
    rng = random.Random(seed)
    people = session.scalars(
        sa.select(Registrant.id).where(Registrant.merged_into_id.is_(None)).order_by(Registrant.id)
    ).all()
    names = list(PERSONAS)
    weights = [w for w, _ in PERSONAS.values()]
    return {r: rng.choices(names, weights)[0] for r in people}


def load(session: Session, vault: Vault, signer: LinkSigner, *, seed: int = 2022) -> int:
    """Give most demo registrants answers, and run one finished two-arm round.

    Returns how many answer sheets were added (0 when the demo already has them).
    """
    if session.scalar(sa.select(InvitationRound.id).limit(1)) is not None:
        return 0
    rng = random.Random(seed)
    instrument = survey_responses.current_instrument()
    people = list(
        session.scalars(
            sa.select(Registrant).where(Registrant.merged_into_id.is_(None)).order_by(Registrant.id)
        )
    )
    hidden = hidden_personas(session, seed)
    sent = datetime(2022, 9, 1, 1, 0, tzinfo=UTC)
    early = [r.id for r in people if r.registered_at < sent]
    round_ = survey_links.create_round(
        session,
        signer,
        "令和4年度 第1回 移住・転職アンケート",
        ["none", "giftcard_500"],
        seed=seed,
        registrant_ids=early,
        actor_label="demo",
        now=sent,
    )
    added = 0
    for link in session.scalars(sa.select(SurveyLink).where(SurveyLink.round_id == round_.id)):
        rate = 0.55 if link.arm == "giftcard_500" else 0.35
        if rng.random() >= rate:
            continue
        answered_at = sent + timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 23))
        token = signer.sign(link.token_id)
        raw = answers_for(rng, hidden[link.registrant_id], link.registrant)
        survey_links.submit(session, vault, signer, token, raw, now=answered_at)
        added += 1
    answered = set(
        session.scalars(sa.select(SurveyLink.registrant_id).where(SurveyLink.used_at.is_not(None)))
    )
    for registrant in people:
        if registrant.id in answered or rng.random() < 0.25:
            continue  # about a quarter never answer
        raw = answers_for(rng, hidden[registrant.id], registrant)
        if rng.random() < 0.15:  # an interview that did not cover every item
            for question in rng.sample(["move_timing", "destination", "job_change_timing"], k=1):
                raw.pop(question)
        cleaned = survey_responses.clean(raw, instrument, partial=True)
        at = max(registrant.registered_at, sent) + timedelta(days=rng.randint(1, 60))
        if at > LAST_ANSWER:
            at = LAST_ANSWER - timedelta(hours=rng.randint(0, 48))
        if at <= registrant.registered_at:
            continue  # registered on the demo's last days: not interviewed yet
        survey_responses.record(
            session,
            vault,
            registrant,
            cleaned,
            instrument=instrument,
            channel="interview",
            submitted_at=at,
            actor_label="demo",
        )
        added += 1
    session.commit()
    return added
