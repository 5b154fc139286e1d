"""What a staff member sees of the room: the queue of cases waiting and the room panel
(session, mode, whom to address, mute, remove, representative, the agreement and the case's
documents, invite, close), both rebuilt
after each change so the buttons always show the room as it is."""

from __future__ import annotations

from mediation.replies import Button, Msg, Reply, button, reply
from mediation.room import Mode, Role, may_address_everyone
from services import mediators
from services.inbound import command_action
from services.room import Room, label_of
from services.slots import TARGET, target_label
from services.turn import Turn
from storage.models import StaffAccount


async def show_queue(turn: Turn, staff: StaffAccount) -> list[Reply]:
    cases = await mediators.queue(turn.session, staff, turn.units)
    if not cases:
        return [reply("staff.queue_empty")]
    rows: list[tuple[Button, ...]] = []
    lines = [Msg("staff.queue_header")]
    for case in cases:
        lines.append(
            Msg(
                "staff.queue_line",
                {
                    "number": case.number,
                    "type": Msg(f"dispute.{case.dispute_type}"),
                    "status": Msg(f"status.{case.status}"),
                    "place": case.place,
                },
            )
        )
        rows.append((button("staff.btn_take", f"m:take:{case.id}", number=case.number),))
    return [Reply(Msg("common.lines", {"lines": lines}), buttons=tuple(rows))]


def panel(room: Room, turn: Turn) -> Reply:
    case = room.case
    members = [
        Msg(
            "staff.panel_member",
            {
                "label": label_of(m),
                "status": Msg(f"staff.member_{m.status}"),
                "rep": "★" if m.is_representative else "",
            },
        )
        for m in room.present()
    ]
    rows: list[tuple[Button, ...]] = []
    if case.session_open:
        rows.append((button("staff.btn_close_session", "m:session:close"),))
    else:
        rows.append((button("staff.btn_open_session", "m:session:open"),))
    if case.room_mode == Mode.JOINT.value:
        rows.append((button("staff.btn_mode_separate", "m:mode:separate"),))
    else:
        rows.append((button("staff.btn_mode_joint", "m:mode:joint"),))
    parties = [m for m in room.present() if m.role in (Role.APPLICANT.value, Role.RESPONDENT.value)]
    everyone = (button("staff.btn_to_all", "m:to:all"),)
    rows.append(
        (
            *(everyone if may_address_everyone(Mode(case.room_mode)) else ()),
            *[button("staff.btn_to", f"m:to:{m.id}", label=label_of(m)) for m in parties[:4]],
        )
    )
    for m in parties[:6]:
        mute = (
            ("staff.btn_unmute", f"m:unmute:{m.id}")
            if m.status == "muted"
            else ("staff.btn_mute", f"m:mute:{m.id}")
        )
        rows.append(
            (
                button(mute[0], mute[1], label=label_of(m)),
                button("staff.btn_remove", f"m:remove:{m.id}", label=label_of(m)),
                button("staff.btn_rep", f"m:rep:{m.id}", label=label_of(m)),
            )
        )
    # The case's papers, as the commands' own buttons (the routing table's /agreement and
    # /documents): a mediator in the browser has no "/" to type them (before, only typed).
    rows.append(
        (
            button("staff.btn_agreement", command_action("agreement")),
            button("staff.btn_documents", command_action("documents")),
        )
    )
    rows.append((button("staff.btn_invite", "m:invite"), button("staff.btn_close_case", "m:close")))
    return Reply(
        Msg(
            "staff.panel",
            {
                "number": case.number,
                "status": Msg(f"status.{case.status}"),
                "mode": Msg(f"room.mode_{case.room_mode}"),
                "session": Msg(
                    "staff.session_open" if case.session_open else "staff.session_closed"
                ),
                "target": target_label(turn.get(TARGET), room),
                "members": members,
            },
        ),
        buttons=tuple(rows),
    )
