"""The coordinator's tokens page: the list, issuing (the secret shown once, with its QR code),
revoking. key: (zh-CN, English)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "token.title": ("访问令牌", "Access tokens"),
    "token.issue_title": ("发放令牌", "Issue a token"),
    "token.role": ("角色", "Role"),
    "token.unit": ("所属单位", "Unit"),
    "token.unit_hint": (
        "联络员令牌必须选择单位；审计员不选。",
        "A liaison's token needs a unit; an auditor's none.",
    ),
    "token.label": ("备注名称", "Label"),
    "token.label_hint": ("如 联络员姓名或用途", "e.g. the liaison's name or the token's use"),
    "token.issue": ("发放令牌", "Issue"),
    "token.list_title": ("已发放的令牌", "Tokens issued"),
    "token.unlabelled": ("（未命名）", "(no label)"),
    "token.issued": ("发放于", "Issued"),
    "token.active": ("有效", "active"),
    "token.revoked": ("已吊销", "revoked"),
    "token.revoke": ("吊销", "Revoke"),
    "token.issued_title": ("令牌已发放", "Token issued"),
    "token.once": (
        "令牌只显示这一次，关闭本页后无法再次查看。请立即交给对方或让其扫码。",
        "The token is shown this once only; it cannot be shown again. Hand it over or have it scanned now.",
    ),
    "token.secret": ("令牌", "Token"),
    "token.qr_caption": (
        "用手机扫码打开登录页（令牌已填好，点击“登录”即可）",
        "Scan with a phone: the sign-in page opens with the token filled in; press “Sign in”",
    ),
    "token.link": ("登录链接：", "Sign-in link:"),
    "token.back": ("返回令牌列表", "Back to the tokens"),
    "token.revoke_title": ("吊销令牌", "Revoke the token"),
    "token.revoke_help": (
        "吊销后此令牌立即失效，不能恢复；如需继续使用请另发新令牌。",
        "Once revoked the token stops working at once and cannot be restored; issue a new one instead.",
    ),
    "token.revoke_confirm": ("确认吊销", "Revoke it"),
}
