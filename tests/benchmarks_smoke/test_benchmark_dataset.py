"""The benchmark dataset is deterministic from its seed, and its figures' sanity
check refuses what a smoke run must not accept."""

from __future__ import annotations

import math

from benchmarks.dataset import e164, people
from benchmarks.results import Result


def test_same_seed_same_people_other_seed_other_people() -> None:
    first = list(people(7, 200))
    assert first == list(people(7, 200))
    assert first != list(people(8, 200))
    assert len({p.email for p in first}) == 200
    phones = [p.phone for p in first if p.phone]
    assert len(set(phones)) == len(phones)


def test_every_generated_person_passes_the_service_validation() -> None:
    """The dataset holds what the intake would accept (checked with its own cleaner)."""
    from itworks.japanese import normalize_phone
    from itworks.services.intake.registrants import clean_person

    for batch in (people(7, 300), people(7, 300, offset=990_000),
                  people(7, 300, tag="imp", mobile="7", messy=True)):  # fmt: skip
        for p in batch:
            clean_person({"name": p.name, "name_kana": p.name_kana, "email": p.email,
                          "phone": p.phone, "employer": p.employer,
                          "residence_prefecture": p.prefecture, "birth_year": p.birth_year,
                          "origin": p.origin})  # fmt: skip
            if p.phone:
                assert e164(p.phone) == normalize_phone(p.phone)


def test_a_chunk_is_the_same_whatever_was_generated_before() -> None:
    assert list(people(7, 50, offset=100)) == list(people(7, 50, offset=100))
    assert {p.n for p in people(7, 50, offset=100)} == set(range(100, 150))


def test_import_rows_differ_from_the_dataset() -> None:
    dataset = {p.email for p in people(7, 100)}
    imported = {p.email.lower() for p in people(7, 100, tag="imp", mobile="7", messy=True)}
    assert not dataset & imported


def test_sanity() -> None:
    assert Result("x", 3.0, "ms", "", True).sane()
    assert not Result("x", 0.0, "ms", "", True).sane()
    assert not Result("x", math.nan, "ms", "", True).sane()
    assert not Result("x", 3.0, "ms", "", True, peer=math.inf).sane()
    assert Result("x", 0, "errors", "0", True, kind="count").sane()
    assert not Result("x", -1, "errors", "0", False, kind="count").sane()
