"""The pages' words: zh-CN by default, English by the `lang` cookie; and errors told in either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from litestar.exceptions import HTTPException

from registry.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RegistryError,
    Unauthenticated,
)

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"

# key: (zh-CN, English)
TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("共建资源登记簿", "Co-building resource registry"),
    "nav.plans": ("活动计划", "Plans"),
    "nav.units": ("共建单位", "Units"),
    "nav.inbox": ("接单箱", "Inbox"),
    "nav.timeline": ("审计时间线", "Audit timeline"),
    "nav.sign_out": ("退出", "Sign out"),
    "nav.switch": ("English", "中文"),
    "as_of.label": ("查看截至", "As of"),
    "as_of.hint": (
        "日志位置或时间（如 2026-10-17T12:00+08:00）",
        "log position or time (2026-10-17T12:00+08:00)",
    ),
    "as_of.show": ("查看", "Show"),
    "as_of.now": ("回到当前", "Back to now"),
    "as_of.banner": (
        "您正在查看截至日志位置 {position} 的历史状态，不能修改。",
        "You are viewing the registry as of log position {position}; nothing can be changed.",
    ),
    "role.coordinator": ("协调员", "coordinator"),
    "role.liaison": ("联络员", "liaison"),
    "role.auditor": ("审计员", "auditor"),
    "sign_in.title": ("登录", "Sign in"),
    "sign_in.token": ("访问令牌", "Access token"),
    "sign_in.submit": ("登录", "Sign in"),
    "sign_in.help": (
        "请输入协调中心发放给您的访问令牌。",
        "Enter the access token the centre issued to you.",
    ),
    "sign_in.bad": (
        "令牌无效或已被吊销，请核对后重试。",
        "The token is unknown or revoked; check it and try again.",
    ),
    "sign_in.empty": ("请输入访问令牌。", "Please enter an access token."),
    "plans.title": ("活动计划", "Activity plans"),
    "plans.none": ("暂无活动计划。", "No plans yet."),
    "plan.venue": ("地点", "Venue"),
    "plan.time": ("时间", "Time"),
    "plan.status": ("状态", "Status"),
    "plan.slots": ("岗位", "Slots"),
    "plan.board": ("匹配看板", "Board"),
    "status.draft": ("草稿", "draft"),
    "status.published": ("已发布", "published"),
    "status.staffed": ("已配齐", "staffed"),
    "status.completed": ("已完成", "completed"),
    "status.cancelled": ("已取消", "cancelled"),
    "status.proposed": ("待接单", "proposed"),
    "status.claimed": ("待确认", "claimed"),
    "status.confirmed": ("已接单", "confirmed"),
    "status.fulfilled": ("已完成", "fulfilled"),
    "status.declined": ("已拒绝", "declined"),
    "status.released": ("已释放", "released"),
    "status.no_show": ("未到场", "no-show"),
    "status.active": ("有效", "active"),
    "status.withdrawn": ("已撤回", "withdrawn"),
    "status.open": ("待满足", "open"),
    "status.met": ("已满足", "met"),
    "board.title": ("匹配看板", "Match board"),
    "board.allocate": ("一键智能派单", "Allocate all slots"),
    "board.position": ("日志位置", "Log position"),
    "board.coverage": (
        "已承接 {committed} / 需 {quantity}（已完成 {fulfilled}）",
        "{committed} of {quantity} committed ({fulfilled} fulfilled)",
    ),
    "board.candidates": ("候选资源（按得分排序）", "Candidates, best first"),
    "board.no_candidates": ("没有符合条件的资源。", "No offer passes the filters."),
    "board.unit": ("单位", "Unit"),
    "board.offer": ("资源", "Offer"),
    "board.remaining": ("剩余", "Remaining"),
    "board.score": ("得分", "Score"),
    "board.factors": ("因子（值 × 权重）", "Factors (value × weight)"),
    "board.quantity": ("数量", "Quantity"),
    "board.dispatch": ("派单", "Dispatch"),
    "board.covered": ("已满", "covered"),
    "factor.category_fit": ("类别匹配", "category fit"),
    "factor.time_coverage": ("时间吻合", "time coverage"),
    "factor.capacity_fit": ("容量", "capacity"),
    "factor.proximity": ("就近", "proximity"),
    "factor.reliability": ("可靠性", "reliability"),
    "factor.fairness": ("均衡", "fairness"),
    "factor.reciprocity": ("互惠", "reciprocity"),
    "inbox.title": ("接单箱", "Inbox"),
    "inbox.proposed": ("待处理的派单", "Dispatches awaiting an answer"),
    "inbox.confirmed": ("待登记成效", "Accepted, to be recorded"),
    "inbox.open_slots": ("可认领的岗位", "Open slots to claim"),
    "inbox.none": ("暂无。", "Nothing here."),
    "inbox.accept": ("接单", "Accept"),
    "inbox.decline": ("拒绝", "Decline"),
    "inbox.reason": ("拒绝原因（可选）", "Reason (optional)"),
    "inbox.people": ("服务人次", "People served"),
    "inbox.hours": ("志愿服务时长（小时）", "Volunteer hours"),
    "inbox.notes": ("备注", "Notes"),
    "inbox.fulfil": ("登记成效", "Record fulfilment"),
    "inbox.claim": ("认领", "Claim"),
    "inbox.with_offer": ("使用资源", "With offer"),
    "inbox.for": ("对象", "For"),
    "inbox.no_unit": ("此令牌不属于任何单位。", "This token belongs to no unit."),
    "timeline.title": ("审计时间线", "Audit timeline"),
    "timeline.verify_ok": (
        "哈希链校验通过：已核对 {checked} 条事件。",
        "The hash chain verifies: {checked} events checked.",
    ),
    "timeline.verify_bad": (
        "哈希链校验失败：位置 {position}（{reason}）。",
        "The hash chain is broken at position {position} ({reason}).",
    ),
    "timeline.head": ("日志头", "Log head"),
    "timeline.position": ("位置", "Position"),
    "timeline.time": ("时间", "Time"),
    "timeline.type": ("事件", "Event"),
    "timeline.stream": ("流", "Stream"),
    "timeline.actor": ("操作者", "Actor"),
    "timeline.earlier": ("更早的事件", "Earlier events"),
    "units.title": ("共建单位", "Co-building units"),
    "units.offers": ("资源清单", "Offers"),
    "units.needs": ("需求清单", "Needs"),
    "units.none": ("无", "none"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回", "Back"),
    "error.not_found": ("找不到该{kind}。", "No such {kind}."),
    "error.conflict": ("当前状态下不能这样操作：{detail}", "Not possible in the current state: {detail}"),
    "error.forbidden": ("您没有权限执行此操作。", "You may not do this."),
    "error.unauthenticated": ("请先登录。", "Please sign in first."),
    "error.stale": (
        "数据已被他人修改，请刷新后重试。",
        "Someone changed this meanwhile; reload and try again.",
    ),
    "error.invalid": ("输入有误：{detail}", "Invalid input: {detail}"),
    "error.csrf": (
        "表单已过期或来源不明，请刷新页面后重试。",
        "The form expired or came from elsewhere; reload the page and try again.",
    ),
    "error.http": ("请求无法处理（{status}）。", "The request could not be handled ({status})."),
    "error.throttled": (
        "登录失败次数过多，请 {seconds} 秒后再试。",
        "Too many failed sign-ins; try again in {seconds} seconds.",
    ),
    "error.unexpected": ("服务器内部错误，请稍后重试。", "An internal error occurred; try again later."),
    "kind.plan": ("活动计划", "plan"),
    "kind.slot": ("岗位", "slot"),
    "kind.offer": ("资源", "offer"),
    "kind.need": ("需求", "need"),
    "kind.commitment": ("承接记录", "commitment"),
    "kind.unit": ("单位", "unit"),
}

Translate = Callable[..., str]


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else DEFAULT_LANG


def translator(lang: Lang) -> Translate:
    """`t(key, **fields)`: the text in `lang`; an unknown key shows as itself (a gap, not a crash)."""
    index = LANGS.index(lang)

    def t(key: str, **fields: object) -> str:
        pair = TEXT.get(key)
        if pair is None:
            return key
        return pair[index].format(**fields) if fields else pair[index]

    return t


def error_message(error: Exception, t: Translate) -> str:
    """An error as the reader is told it: the known kinds in words, the others by their own text."""
    if isinstance(error, Unauthenticated):
        return t("error.unauthenticated")
    if isinstance(error, NotFound):
        return t(
            "error.not_found", kind=t(f"kind.{error.kind}") if f"kind.{error.kind}" in TEXT else error.kind
        )
    if isinstance(error, Forbidden):
        return t("error.forbidden")
    if isinstance(error, PreconditionFailed):
        return t("error.stale")
    if isinstance(error, InvalidInput):
        return t("error.invalid", detail=str(error))
    if isinstance(error, Conflict):
        return t("error.conflict", detail=str(error))
    if isinstance(error, RegistryError):
        return str(error)
    if isinstance(error, HTTPException):
        if error.status_code == 403 and "csrf" in str(error.detail).lower():
            return t("error.csrf")
        if error.status_code == 429:
            return t("error.throttled", seconds=(error.headers or {}).get("Retry-After", "60"))
        return t("error.http", status=error.status_code)
    return t("error.unexpected")
