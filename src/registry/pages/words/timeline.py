"""The auditor's timeline: one sentence an event (`event.<tag>`), who did it, and the pieces.

A sentence is "{actor} {what they did}": the keys here hold what they did, with the fields
`registry.pages.sentences` fills in. Every event type has one (tested), so a new event type
cannot reach the timeline untold.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # -- who
    "who.unit_role": ("{unit}{role}", "the {unit} {role}"),
    "who.role": ("{role}", "the {role}"),
    "who.label": ("{who}（{label}）", "{who} ({label})"),
    "who.demo": ("{who}（演示数据）", "{who} (demo data)"),
    "who.cli": ("{who}（命令行 {user}）", "{who} (command line, {user})"),
    "who.unknown": ("未知操作者", "an unknown actor"),
    "who.someone": ("某单位", "a unit"),
    "who.something": ("（已不存在）", "(gone)"),
    # -- the pieces of a sentence
    "piece.reason": ("，原因：{reason}", "; reason: {reason}"),
    "piece.amount": ("{category} {quantity} {measure}", "{category} × {quantity} {measure}"),
    "piece.for_plan": ("活动「{plan}」", "the plan {plan}"),
    "piece.for_need": ("{unit}的需求「{need}」", "{unit}'s need {need}"),
    "piece.default_limit": ("默认值", "the default"),
    "piece.unmet": ("，{count} 项缺口未能满足", ", {count} still short"),
    # -- what they did, by event type
    "event.unit_registered": ("登记了共建单位「{name}」（{area}）", "registered the unit {name} ({area})"),
    "event.unit_profile_updated": ("更新了「{unit}」的单位资料", "updated the profile of {unit}"),
    "event.contact_added": ("为「{unit}」添加了一位联系人{title}", "added a contact{title} to {unit}"),
    "event.contact_erased": (
        "删除了「{unit}」一位联系人的个人信息",
        "erased a contact's personal data at {unit}",
    ),
    "event.unit_name_claimed": (
        "为「{unit}」占用名称「{name}」（{area}）",
        "took the name {name} ({area}) for {unit}",
    ),
    "event.unit_name_released": ("释放了「{unit}」原先的名称", "released the name {unit} held before"),
    "event.offer_submitted": ("提交了资源「{title}」：{amount}", "submitted the offer {title}: {amount}"),
    "event.offer_revised": ("修改了资源「{offer}」", "revised the offer {offer}"),
    "event.offer_paused": ("暂停了资源「{offer}」", "paused the offer {offer}"),
    "event.offer_resumed": ("恢复了资源「{offer}」", "resumed the offer {offer}"),
    "event.offer_withdrawn": ("撤回了资源「{offer}」{reason}", "withdrew the offer {offer}{reason}"),
    "event.need_raised": ("提出了需求「{title}」：{amount}", "raised the need {title}: {amount}"),
    "event.need_people_limit_set": (
        "将需求「{need}」每次承接的服务人次上限设为 {limit}",
        "set the people-served limit per commitment of the need {need} to {limit}",
    ),
    "event.need_closed": ("关闭了需求「{need}」", "closed the need {need}"),
    "event.need_cancelled": ("取消了需求「{need}」{reason}", "cancelled the need {need}{reason}"),
    "event.plan_drafted": ("起草了活动计划「{title}」（{venue}）", "drafted the plan {title} ({venue})"),
    "event.slot_added": ("为活动「{plan}」添加了岗位：{amount}", "added a slot to the plan {plan}: {amount}"),
    "event.slot_revised": (
        "修改了活动「{plan}」的岗位：{amount}",
        "revised a slot of the plan {plan}: {amount}",
    ),
    "event.slot_removed": ("删除了活动「{plan}」的一个岗位", "removed a slot from the plan {plan}"),
    "event.slot_people_limit_set": (
        "将活动「{plan}」的岗位（{category}）每次承接的服务人次上限设为 {limit}",
        "set the people-served limit per commitment of the plan {plan}'s {category} slot to {limit}",
    ),
    "event.plan_published": ("发布了活动计划「{plan}」", "published the plan {plan}"),
    "event.plan_cancelled": ("取消了活动计划「{plan}」{reason}", "cancelled the plan {plan}{reason}"),
    "event.plan_completed": (
        "完成了活动计划「{plan}」：{units} 家单位参与，服务 {people} 人次，志愿服务 {hours} 小时",
        "completed the plan {plan}: {units} units took part, {people} people served, {hours} volunteer hours",
    ),
    "event.plan_allocated": (
        "为活动「{plan}」一键智能派单：{count} 项派单{unmet}",
        "allocated the plan {plan}: {count} dispatches{unmet}",
    ),
    "event.commitment_proposed": (
        "向{unit}派单：{amount}，用于{target}",
        "dispatched {amount} from {unit} to {target}",
    ),
    "event.commitment_claimed": ("认领了{target}：{amount}", "claimed {target}: {amount}"),
    "event.commitment_confirmed": ("确认了{unit}的认领：{amount}", "confirmed {unit}'s claim: {amount}"),
    "event.commitment_confirmed.accepted": ("接受了派单：{amount}", "accepted a dispatch: {amount}"),
    "event.commitment_declined": (
        "拒绝了{unit}的认领：{amount}{reason}",
        "declined {unit}'s claim: {amount}{reason}",
    ),
    "event.commitment_declined.by_unit": (
        "拒绝了派单：{amount}{reason}",
        "declined a dispatch: {amount}{reason}",
    ),
    "event.commitment_released": (
        "释放了{unit}的承接：{amount}{reason}",
        "released {unit}'s commitment: {amount}{reason}",
    ),
    "event.commitment_fulfilled": (
        "登记了成效：{amount}，服务 {people} 人次，志愿服务 {hours} 小时",
        "recorded the fulfilment of {amount}: {people} people served, {hours} volunteer hours",
    ),
    "event.commitment_no_show": ("记录{unit}未到场：{amount}", "recorded {unit} as a no-show: {amount}"),
    "event.fulfilment_corrected": (
        "更正了{unit}的成效（{amount}）：服务 {people} 人次（原 {previous_people}），"
        "志愿服务 {hours} 小时（原 {previous_hours}）{reason}",
        "corrected {unit}'s fulfilment ({amount}): {people} people served (was {previous_people}), "
        "{hours} volunteer hours (was {previous_hours}){reason}",
    ),
    "event.fulfilment_correction_requested": (
        "申请更正成效（{amount}）{reason}",
        "asked for the fulfilment of {amount} to be corrected{reason}",
    ),
    "event.capacity_held": (
        "为承接占用了资源「{offer}」的 {quantity} 份容量",
        "held {quantity} of the offer {offer}'s capacity",
    ),
    "event.capacity_freed": (
        "归还了资源「{offer}」被占用的容量",
        "gave back the capacity held on the offer {offer}",
    ),
    "event.demand_covered": (
        "更新了{target}的承接情况：{unit} {quantity}（{status}）",
        "updated the cover of {target}: {unit} × {quantity} ({status})",
    ),
    "event.token_issued": ("为{holder}签发了{role}访问令牌", "issued a {role} token for {holder}"),
    "event.token_revoked": ("吊销了{holder}的访问令牌", "revoked the token of {holder}"),
    # -- the page
    "timeline.event": ("事件", "Event"),
    "timeline.at": ("位置 {position} · {time}", "position {position} · {time}"),
    "timeline.none": ("此前没有事件。", "No events up to here."),
}
