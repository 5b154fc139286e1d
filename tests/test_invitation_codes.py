"""How people send an invitation code: ``mediation.invitations.secret_in`` reads it as typed or
pasted (issue 19), and nothing else looks like one."""

from __future__ import annotations

import pytest

from mediation.invitations import secret_in

TOKEN = "inv_" + "Ab3_" * 8


@pytest.mark.parametrize(
    "typed",
    [
        "J96E-LXG2",
        "j96e lxg2",
        "J96ELXG2",
        " j96e-lxg2。",
        "ｊ９６ｅ－ｌｘｇ２",  # full-width, from a Chinese input method
        "J96E—LXG2",  # the input method's long dash
        "邀请码：J96E-LXG2",
        "「J96E LXG2」",
    ],
)
def test_a_code_as_people_type_it(typed: str) -> None:
    assert secret_in(typed) == "J96ELXG2"


@pytest.mark.parametrize(
    "pasted",
    [
        TOKEN,
        f"邀请链接：https://t.me/mediate_bot?start={TOKEN}",
        f"https://mediate.example/chat/join/{TOKEN} 点这个",
    ],
)
def test_a_link_pasted_whole(pasted: str) -> None:
    assert secret_in(pasted) == TOKEN


@pytest.mark.parametrize(
    "said",
    ["张三", "12000", "九龙坡区杨家坪街道", "J96E LXG2 可以吗", "J96E-LXG", "O0I1-ABCD", "x" * 400],
)
def test_what_is_not_a_code(said: str) -> None:
    assert secret_in(said) is None
