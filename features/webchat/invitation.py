"""What the join link's login page says before anyone logs in: who invited whom to what.

Why: a resident opening ``/chat/join/inv_…`` saw a bare phone login and could not tell that
someone had invited her, to which dispute, as which side (issue 19). The preview names the
inviter as the invitee will see them anyway in the invitation's summary (the applicant's name
masked, ``张*``; a mediator as 调解员), the dispute type, her role and the case number.

Only for a link's token (``inv_`` and 32 random bytes): a short code typed into the page could be
guessed, and a preview for it would tell a guesser which cases exist. Nothing is changed: the
invitation is still answered after login, in the chat, by the conversation core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from i18n import translate
from mediation import invitations as inv
from mediation.masking import mask_name
from services import invites
from storage.db import Database
from storage.models import Case, CaseParty, Invitation


@dataclass(frozen=True)
class InvitePreview:
    #: The sentence the page shows ("张*邀请您作为被申请人参加一起邻里纠纷的人民调解。"),
    #: or why the link cannot be used (expired, used, revoked).
    text: str
    #: The case number, shown on its own line (it brings its own brackets).
    number: str = ""
    usable: bool = True


async def preview(db: Database, token: str, now: datetime, language: str) -> InvitePreview | None:
    """The login page's line for an invitation link, or None (no such link, not a token)."""
    if not inv.is_token(token):
        return None
    async with db.read() as session:
        invitation = (
            await session.execute(
                select(Invitation).where(Invitation.token_digest == inv.digest(token))
            )
        ).scalar_one_or_none()
        if invitation is None:
            return None
        problem = invites.problem(invitation, now)
        if problem is not None:  # used, declined, revoked or expired: said before the login
            return InvitePreview(translate(language, problem), usable=False)
        case = await session.get_one(Case, invitation.case_id)
        applicant = (
            await session.execute(
                select(CaseParty.name)
                .where(CaseParty.case_id == case.id, CaseParty.side == "applicant")
                .order_by(CaseParty.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    by_applicant = invitation.created_by.startswith("user:") and applicant
    inviter = (
        mask_name(applicant) if by_applicant else translate(language, "webchat.invited_by_staff")
    )
    text = translate(
        language,
        "webchat.invited",
        inviter=inviter,
        role=translate(language, f"role.{invitation.role}"),
        type=translate(language, f"dispute.{case.dispute_type}"),
    )
    return InvitePreview(text, case.number)
