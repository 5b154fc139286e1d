"""签署存证: what each signature keeps, so that who signed which version, when and how can be
shown to a court later, and the page the sealed 协议书 carries with it.

Why: an electronic signature binds when it reliably identifies the signer and shows the signed
text was not changed (the version hash every signature names, ``mediation.signing``); a court
asked to confirm the agreement, or a party who denies signing, needs the record of *how* each
signer was identified. Each signature row keeps (``document_signatures.evidence``, encrypted):

- the identity as the service verified it: the Telegram account the message or the Mini App
  came from, the phone number the browser chat's one-time code was sent to, the staff account,
  or — on paper — the mediator who checked the scan against the version;
- what the transport gives: the Mini App's ``initData`` hash (used once), the caller's IP
  address, the Telegram message;
- for a paper signature, the scan's key in the file store and its SHA-256.

The channel, the time and the version hash are the row's own columns. :func:`page_rows` turns
them into the 签署存证 page appended to the sealed PDF before the seal is applied, so the seal
covers it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from mediation import masking
from services.inbound import Inbound
from storage.document_models import DocumentSignature
from storage.models import StaffAccount, User

#: ``evidence["via"]``: how the signer was identified.
TELEGRAM, PHONE, PAPER = "telegram", "phone", "paper"

_METHOD = {
    "canvas": "手写电子签名（触屏书写）",
    "typed": "电子签名（输入全名核对一致）",
    "handwritten": "手写签名（纸质原件，扫描件存档）",
}
_CHANNEL = {
    "telegram": "Telegram 对话",
    "webapp": "Telegram 小程序签署页",
    "web": "网页对话 / 网页签署页",
    "paper": "纸质签署，控制台上传扫描件",
}


def of_chat(event: Inbound, user: User | None, staff: StaffAccount | None) -> dict[str, Any]:
    """A signature typed in the chat: the account the message came from."""
    out: dict[str, Any] = {}
    if staff is not None:
        out["staff"] = staff.username
    if event.channel == "telegram":
        out.update(via=TELEGRAM, telegram_id=event.user_id)
        if event.message_id is not None:
            out["message_id"] = event.message_id
    else:
        out.update(via=PHONE, phone=user.phone if user is not None else None)
    return out


def of_page(
    *,
    telegram_id: int | None,
    initdata_hash: str | None,
    user: User | None,
    staff: StaffAccount | None,
    ip: str,
) -> dict[str, Any]:
    """A signature sent from the signing page: the Mini App's checked ``initData`` (its hash is
    recorded once, ``webapp_logins``) or the browser chat's phone login, and the IP address."""
    out: dict[str, Any] = {"ip": ip} if ip else {}
    if staff is not None:
        out["staff"] = staff.username
    if telegram_id is not None:
        out.update(via=TELEGRAM, telegram_id=str(telegram_id), initdata_hash=initdata_hash)
    else:
        out.update(via=PHONE, phone=user.phone if user is not None else None)
    return out


def of_paper(
    *, scan_key: str, scan_sha256: str, checked_by: StaffAccount, ip: str, uploaded_by: str
) -> dict[str, Any]:
    """A signature on paper: the scan as uploaded, checked by the mediator (or the officer)."""
    return {
        "via": PAPER,
        "scan_key": scan_key,
        "scan_sha256": scan_sha256,
        "checked_by": checked_by.display_name,
        "staff": checked_by.username,
        "uploaded_by": uploaded_by,
        "ip": ip,
    }


def identity_text(evidence: Mapping[str, Any] | None) -> str:
    """How the signer was identified, as the page prints it (a phone number masked)."""
    e = evidence or {}
    via = e.get("via")
    parts: list[str] = []
    if via == TELEGRAM:
        parts.append(f"Telegram 账号（用户 ID {e.get('telegram_id', '')}）")
    elif via == PHONE:
        phone = masking.mask_phone(e.get("phone")) if e.get("phone") else "—"
        parts.append(f"手机号 {phone}（短信验证码登录）")
    elif via == PAPER:
        parts.append(f"纸质原件，扫描件经 {e.get('checked_by', '')} 核对与本版本一致")
    if e.get("staff"):
        parts.append(f"工作人员账号 {e['staff']}")
    return "；".join(parts) or "（本功能启用前签署，无存证）"


def proof_text(evidence: Mapping[str, Any] | None) -> str:
    """What the transport or the scan gives: IP address, initData hash, message, scan hash."""
    e = evidence or {}
    parts: list[str] = []
    if e.get("initdata_hash"):
        parts.append(f"initData 哈希 {e['initdata_hash']}")
    if e.get("message_id") is not None:
        parts.append(f"Telegram 消息 {e['message_id']}")
    if e.get("scan_sha256"):
        parts.append(f"扫描件 SHA-256 {e['scan_sha256']}")
    if e.get("ip"):
        parts.append(f"IP {e['ip']}")
    return "；".join(parts) or "—"


def signer_labels(content: Mapping[str, Any]) -> dict[str, str]:
    """Who each signer id is, as the version names them (the party and who signed for them)."""
    out: dict[str, str] = {}
    for p in content.get("parties", []):
        if p.get("signer"):
            label = f"{p.get('role', '')} {p.get('name', '')}"
            if p.get("signed_by"):
                label += f"（{p['signed_by']}代为签署）"
            out[str(p["signer"])] = label
    for m in content.get("mediators", []):
        if m.get("signer"):
            out[str(m["signer"])] = f"调解员 {m.get('name', '')}"
    return out


def page_rows(
    content: Mapping[str, Any], signatures: Sequence[DocumentSignature], sha: str, tz: tzinfo
) -> list[dict[str, str]]:
    """One row per signature on version ``sha``, in the order they were made."""
    labels = signer_labels(content)
    rows = [r for r in signatures if r.decision == "signed" and r.version_sha == sha]
    rows.sort(key=lambda r: (r.signed_at, r.id or 0))
    return [
        {
            "signer": labels.get(r.signer_id, r.signer_id),
            "method": _METHOD.get(r.method or "", r.method or ""),
            "identity": identity_text(r.evidence),
            "channel": _CHANNEL.get(r.channel, r.channel),
            "at": r.signed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
            "version": r.version_sha,
            "proof": proof_text(r.evidence),
            "image_sha256": r.image_sha256 or "",
        }
        for r in rows
    ]
