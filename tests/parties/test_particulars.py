"""Each party gives their own particulars (services.particulars): the applicant right after
filing, the respondent after checking their name; what people type, refused with a message
that says how, 不知道 left empty, and the values stored encrypted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from harness.steps import NEIGHBOUR_INTAKE, texts, wait_text, walk_steps
from mediation import particulars
from mediation.particulars import Field, Known
from mediation.validation import InvalidInput
from standin import StandinBotAPI
from storage.models import CaseParty
from tests.e2e.harness import running_service

TODAY = date(2026, 12, 7)


def test_what_people_type_reads_or_is_refused_with_how() -> None:
    read = particulars.read
    assert read(Field.ADDRESS, "重庆市渝中区解放碑街道 民生路 88号 3单元", TODAY) == {
        "address": "重庆市渝中区解放碑街道民生路88号3单元"
    }
    assert read(Field.BIRTH, "1985年3月2日", TODAY)["birth_date"] == "1985-03-02"
    assert read(Field.BIRTH, "19850302", TODAY)["birth_date"] == "1985-03-02"
    assert read(Field.BIRTH, "39岁", TODAY) == {"stated_age": 39, "birth_date": None}
    assert read(Field.OCCUPATION, "退休", TODAY) == {"occupation": "退休"}
    for field, typed, key in (
        (Field.ADDRESS, "渝中区", "particulars.bad_address"),
        (Field.BIRTH, "1985年2月30日", "particulars.bad_birth"),
        (Field.BIRTH, "2030-01-01", "particulars.bad_birth"),
        (Field.BIRTH, "三十九", "particulars.bad_birth"),
        (Field.OCCUPATION, "123", "particulars.bad_occupation"),
        (Field.GENDER, "男的", "error.bad_gender"),
    ):
        with pytest.raises(InvalidInput) as refused:
            read(field, typed, TODAY)
        assert refused.value.key == key, typed
    # The ID number gives sex and birth date; an organisation gives its address and phone.
    assert particulars.missing(Known(id_number=True, phone=True)) == (
        Field.ETHNICITY,
        Field.OCCUPATION,
        Field.ADDRESS,
    )
    assert particulars.missing(Known(is_org=True, phone=True)) == (Field.ADDRESS,)


async def test_each_party_gives_their_own(tmp_path: Path, database_url: str | None) -> None:
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", database_url) as runtime:
            applicant = standin.user(7501, phone="+8613800007501")
            await walk_steps(applicant, NEIGHBOUR_INTAKE)
            filed = next(m for m in applicant.messages if "登记成功" in (m.text or ""))
            assert "住址或单位地址" in (filed.text or "") and "✏️ 现在填写" in filed.button_texts
            await applicant.press("✏️ 现在填写", filed)
            assert "性别" in (await texts(applicant, 1))[0]
            await applicant.send_text("男的")
            assert "请输入“男”或“女”" in (await texts(applicant, 2))[0]
            await applicant.press("男")
            assert "出生日期" in (await texts(applicant, 1))[0]
            await applicant.send_text("1985年2月30日")
            assert "没有看懂这个日期" in (await texts(applicant, 2))[0]
            await applicant.send_text("1985年3月2日")
            await wait_text(applicant, "您的民族")
            await applicant.send_text("汉族")
            await wait_text(applicant, "职业或职务")
            await applicant.send_text("不知道")
            skipped, asked = await texts(applicant, 2)
            assert "先空着" in skipped and "住址" in asked
            await applicant.send_text("渝中区")
            assert "太简略" in (await texts(applicant, 2))[0]
            await applicant.send_text("重庆市渝中区解放碑街道 民生路 88号 3单元")
            (summary,) = await texts(applicant, 1)  # the phone was given at filing
            assert "住址或单位地址：重庆市渝中区解放碑街道民生路88号3单元" in summary
            assert "出生日期（或年龄）：1985-03-02" in summary and "还缺" in summary

            # The respondent joins by the code, checks the name, then gives their own.
            invitation = next(
                m.text or "" for m in applicant.messages if "邀请码" in (m.text or "")
            )
            code = invitation.split("邀请码：")[1][:9]
            respondent = standin.user(7502)
            await respondent.send_command("/start")
            await texts(respondent, 2)
            await respondent.send_text(code)
            await texts(respondent, 1)
            await respondent.press("同意参加调解")
            await wait_text(respondent, "是否正确")
            await respondent.press("✅ 正确")
            (confirmed,) = await texts(respondent, 1)
            assert "已确认" in confirmed and "联系电话" in confirmed
            await respondent.press("✏️ 现在填写")
            await wait_text(respondent, "性别")
            await respondent.press("先填到这里")
            assert "先不填" in (await texts(respondent, 1))[0]
            await respondent.send_text("我愿意调解")  # words for the room go to the room
            assert "您的消息已记录" in (await texts(respondent, 1))[0]

        async with runtime.db.read() as session:
            own = await session.execute(select(CaseParty).where(CaseParty.side == "applicant"))
            party = own.scalar_one()
            raw = await session.execute(
                text("SELECT address, gender, ethnicity FROM case_parties WHERE id = :id"),
                {"id": party.id},
            )
            stored = raw.one()
    assert (party.gender, party.birth_date, party.ethnicity) == ("男", "1985-03-02", "汉族")
    assert party.occupation is None and party.address == "重庆市渝中区解放碑街道民生路88号3单元"
    assert "民生路" not in str(stored.address) and "汉族" not in str(stored.ethnicity)
