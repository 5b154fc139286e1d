"""The mediator sees who the applicant could not name, and what she said about them (issue 19):
an unknown neighbour ("不知道叫什么 就是1202的") is 姓名不详 with her words beside it, and the new
dispute type reads as such in the case page."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from tests.console.conftest import World, add_case, console_app, login


async def test_an_unknown_neighbour_is_shown_with_what_the_applicant_said(world: World) -> None:
    case_id = await add_case(
        world,
        "yjp_c1",
        1903,
        dispute_type="renovation",
        other_name="",
        other_name_note="就是1202的",
        other_phone=None,
    )
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "med_c1")
        page = await (await client.get(f"/staff/cases/{case_id}")).text()
    assert "装修/承揽" in page
    assert "姓名不详（待补充）" in page
    assert 'data-testid="party-note-respondent"' in page and "申请人所述：就是1202的" in page
