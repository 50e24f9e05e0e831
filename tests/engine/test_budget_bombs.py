"""A contact whose template or expression is a bomb fails alone, with the budget's reason;
the next contact in the same run gets its message."""

from __future__ import annotations

from pathlib import Path

from journey.model import END, BranchArm, BranchStep, EventTrigger, Plan, SendStep
from journey.renderer import Renderer
from tests.engine.engine_world import World

WIDTH = "('%0' ~ contact.width ~ 'd')"


def _renderer(tmp_path: Path) -> Renderer:
    folder = tmp_path / "templates" / "t" / "x"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Hello {{ contact.id }}\n", encoding="utf-8")
    (folder / "body.txt").write_text(f"Code {{{{ {WIDTH} % 7 }}}}\n", encoding="utf-8")
    (folder / "body.html").write_text(f"<p>Code {{{{ {WIDTH} % 7 }}}}</p>\n", encoding="utf-8")
    return Renderer(tmp_path / "templates", tmp_path / "locales", declared_attributes=["width"])


def _plan(*steps: SendStep | BranchStep) -> Plan:
    return Plan(
        journey_id="j",
        name="J",
        kind="engagement",
        trigger=EventTrigger(event="go"),
        steps=steps,
        reentry="always",
    )


def _send() -> SendStep:
    return SendStep(id="mail", next=END, channel="email", template="t/x", message="email")


def _fails(world: World, contact_id: str) -> list[tuple[str, str]]:
    return world.kinds("fail", contact_id)


def test_a_template_bomb_fails_that_contact_and_the_next_gets_its_message(
    world: World, tmp_path: Path
) -> None:
    world.renderer = _renderer(tmp_path)
    world.load(_plan(_send()))
    world.contact(id="bomb", width=300000000)
    world.contact(id="fine", width=4)
    world.event("go", "bomb")
    world.event("go", "fine")
    [(step, reason)] = _fails(world, "bomb")
    assert step == "mail"
    assert "t/x/body.html:1: over budget: the format width in '%0300000000d'" in reason
    assert world.exits("bomb") == ["error"]
    assert [m.contact_id for m in world.sink.messages] == ["fine"]
    assert "Code 0007" in (world.sink.messages[0].text or "")
    assert world.exits("fine") == ["completed"]


def test_an_expression_bomb_in_a_branch_fails_that_contact_alone(
    world: World, tmp_path: Path
) -> None:
    world.renderer = _renderer(tmp_path)
    branch = BranchStep(
        id="check",
        next="mail",
        arms=(BranchArm(condition=f"({WIDTH} % 1) | length > 100", goto=END),),
    )
    world.load(_plan(branch, _send()))
    world.contact(id="bomb", width=300000000)
    world.contact(id="fine", width=3)
    world.event("go", "bomb")
    world.event("go", "fine")
    [(step, reason)] = _fails(world, "bomb")
    assert step == "check" and "over budget: the format width in '%0300000000d'" in reason
    assert world.exits("bomb") == ["error"]
    assert [m.contact_id for m in world.sink.messages] == ["fine"]
