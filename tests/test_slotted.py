"""Records built or copied through their slots are the records the dataclass would build."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from journey.records import DeliveryRecord, Enrollment, Entry, StepRecord, evolve
from journey.slotted import copier, quick_init

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plain:
    """The same fields as `Quick`, with the generated __init__."""

    name: str
    count: int = 3
    tags: dict[str, Any] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Quick:
    name: str
    count: int = 3
    tags: dict[str, Any] = field(default_factory=dict)


def test_a_quick_record_holds_what_the_generated_init_would_set() -> None:
    for given in ({"name": "a"}, {"name": "b", "count": 7}, {"name": "c", "tags": {"x": 1}}):
        quick, plain = Quick(**given), Plain(**given)
        assert dataclasses.astuple(quick) == dataclasses.astuple(plain)
    assert Quick(name="a") == Quick(name="a")
    assert Quick(name="a").tags is not Quick(name="a").tags  # each record its own default


def test_a_quick_record_refuses_what_the_generated_init_refuses() -> None:
    with pytest.raises(TypeError, match="name"):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        Quick(name="a", colour="red")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Quick(name="a").count = 4  # type: ignore[misc]


def test_the_signature_reads_like_the_dataclass_one() -> None:
    import inspect

    assert str(inspect.signature(Quick)) == str(inspect.signature(Plain))


def test_only_plain_frozen_slotted_records_are_accepted() -> None:
    @dataclass(kw_only=True)
    class Mutable:
        name: str

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Checked:
        name: str

        def __post_init__(self) -> None:
            raise AssertionError

    for klass in (Mutable, Checked):
        with pytest.raises(TypeError):
            quick_init(klass)


def test_the_stores_records_survive_pickling_and_compare_by_value() -> None:
    step = StepRecord(
        enrollment_id="e", journey_id="j", contact_id="c", step_id="s", outcome="sent", at=NOW
    )
    assert pickle.loads(pickle.dumps(step)) == step
    assert step.detail == ""
    delivery = DeliveryRecord(
        delivery_key="k",
        enrollment_id="e",
        journey_id="j",
        step_id="s",
        contact_id="c",
        channel="email",
        kind="email",
        category="marketing",
        payload={},
        created_at=NOW,
    )
    assert (delivery.status, delivery.attempts, delivery.lease) == ("pending", 0, None)


def _enrollment() -> Enrollment:
    return Enrollment(
        id="onboarding:c1:1",
        journey_id="onboarding",
        contact_id="c1",
        plan_hash="h",
        entered_at=NOW,
        entry=Entry(name="signed_up", timestamp=NOW, properties={"plan": "trial"}),
        step_id="welcome",
        step_entered_at=NOW,
        due_at=NOW,
        visits={"welcome": 1},
    )


def test_evolving_an_enrollment_is_replacing_its_fields() -> None:
    enrollment = _enrollment()
    moved = evolve(enrollment, step_id="nudge", phase="wait", due_at=None)
    assert moved == dataclasses.replace(enrollment, step_id="nudge", phase="wait", due_at=None)
    assert (enrollment.step_id, enrollment.phase) == ("welcome", "enter")  # untouched
    assert evolve(enrollment) == enrollment and evolve(enrollment) is not enrollment


def test_evolving_a_field_an_enrollment_lacks_fails() -> None:
    with pytest.raises(TypeError, match="Enrollment has no field colour, size"):
        evolve(_enrollment(), size=1, colour="red")


def test_a_copier_makes_replace_for_any_quick_record() -> None:
    copy = copier(Quick)
    original = Quick(name="a", tags={"x": 1})
    assert copy(original, count=9) == Quick(name="a", count=9, tags={"x": 1})
