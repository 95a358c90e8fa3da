"""The registry's messages in the reader's language: the API's problems by `Accept-Language`,
the pages' errors by their language switch.

The domain and the request types raise their messages in English; `localize` tells one in
Chinese by the catalogue of known message shapes, and leaves a message it does not know as it is.
The catalogue is an ordered list of (the English shape, with named groups; the Chinese template):
the first shape that matches the whole message wins. A value a group takes is a word of the
registry's own (a status, a role, a measure, a category code) or a phrase of another message (a
group named `phrase…`), and is told in Chinese too; anything else (an id, a number, a name)
stays as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from registry.domain.errors import FieldError
from registry.domain.taxonomy import CATEGORIES

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# The registry's own words, as a value inside a message.
_WORDS: dict[str, str] = {
    # statuses (offers, needs, plans, commitments)
    "draft": "草稿",
    "published": "已发布",
    "completed": "已完成",
    "cancelled": "已取消",
    "active": "有效",
    "paused": "已暂停",
    "withdrawn": "已撤回",
    "expired": "已过期",
    "open": "开放",
    "closed": "已关闭",
    "met": "已满足",
    "partially_met": "部分满足",
    "staffed": "已配齐",
    "proposed": "已派单待确认",
    "claimed": "已认领待确认",
    "confirmed": "已确认",
    "fulfilled": "已履行",
    "declined": "已拒绝",
    "released": "已释放",
    "no_show": "未到场",
    # roles, with their article as the service says them
    "a coordinator": "协调员",
    "a liaison": "联络员",
    "an auditor": "审计员",
    "coordinator": "协调员",
    "liaison": "联络员",
    "auditor": "审计员",
    # measures
    "people": "人",
    "hours": "小时",
    "sessions": "场次",
    "booths": "展位",
    "square_metres": "平方米",
    "items": "件",
    # what a thing is
    "unit": "单位",
    "offer": "资源",
    "need": "需求",
    "plan": "活动计划",
    "slot": "岗位",
    "commitment": "承诺",
    "token": "令牌",
    "contact": "联系人",
    "allocation": "分配",
    "stream": "事件流",
    "event": "事件",
    # msgspec's JSON types
    "int": "整数",
    "float": "数字",
    "str": "字符串",
    "bool": "布尔值",
    "null": "null",
    "object": "对象",
    "array": "数组",
    "datetime": "日期时间",
    "date": "日期",
    "time": "时间",
    "uuid": "UUID",
}


def _word(value: str) -> str:
    """A word of the registry's in Chinese (a category by its label); anything else as written."""
    if value in _WORDS:
        return _WORDS[value]
    category = CATEGORIES.get(value)
    if category is not None:
        return category.label_zh
    # msgspec's union of types: `int | null`
    if " | " in value:
        return " | ".join(_word(part) for part in value.split(" | "))
    return value


_ID = r"(?P<id>[0-9a-fA-F-]{8,})"
_NUM = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_STATUS = r"(?P<status>[a-z_]+)"
_ROLE = r"(?P<role>an? [a-z]+)"

# (English shape, Chinese template). Order matters only where two shapes could match one text.
_SHAPES: tuple[tuple[str, str], ...] = (
    # --- the domain: commitments
    (r"the plan or need is closed to new commitments", "该活动计划或需求已不再接受新的承诺"),
    (
        r"only a published plan's slots and open needs can be claimed",
        "只能认领已发布计划的岗位和开放中的需求",
    ),
    (
        rf"the offer has (?P<left>{_NUM}) left in that window; (?P<asked>{_NUM}) asked",
        "该资源在此时段仅剩 {left}，申请了 {asked}",
    ),
    (
        rf"only (?P<left>{_NUM}) of the demand is still uncovered; (?P<offered>{_NUM}) offered",
        "需求仅剩 {left} 尚未满足，提供了 {offered}",
    ),
    (
        rf"the offer is {_STATUS}; only an active offer can be committed",
        "该资源当前状态为「{status}」，只有有效的资源才能承诺",
    ),
    (r"the offer expired: it was valid until (?P<until>.+)", "该资源已过期：有效期至 {until}"),
    (
        r"the offer is measured in (?P<measure>[a-z_]+) and the (?P<what>slot|need) in "
        r"(?P<target>[a-z_]+): only equal measures pair",
        "该资源按「{measure}」计量，而{what}按「{target}」计量：计量单位须一致",
    ),
    (
        r"the offer's category (?P<category>\S+) does not fit (?P<target>\S+)",
        "该资源的类别「{category}」与「{target}」不符",
    ),
    (r"the offer is not available for the whole window", "该资源在整个时段内并非都可用"),
    (r"the offer does not serve (?P<place>.+)", "该资源不服务于 {place}"),
    (r"a unit's own offer cannot meet its own need", "单位自己的资源不能满足自己的需求"),
    (
        rf"the commitment is {_STATUS}; only a proposed or claimed one is confirmed",
        "该承诺当前状态为「{status}」，只有待确认的派单或认领才能确认",
    ),
    (
        r"a commitment is confirmed by the other side: the unit a dispatch, the centre a claim",
        "承诺由另一方确认：派单由单位确认，认领由中心确认",
    ),
    (
        rf"the commitment is {_STATUS}; only a proposed or claimed one is declined",
        "该承诺当前状态为「{status}」，只有待确认的派单或认领才能拒绝",
    ),
    (
        rf"the commitment is {_STATUS} and can no longer be released",
        "该承诺当前状态为「{status}」，已不能释放",
    ),
    (
        rf"the commitment is {_STATUS}; only a confirmed one can be a no-show",
        "该承诺当前状态为「{status}」，只有已确认的承诺才能记为未到场",
    ),
    (
        rf"the commitment is {_STATUS}; only a confirmed one can be fulfilled",
        "该承诺当前状态为「{status}」，只有已确认的承诺才能记为已履行",
    ),
    (
        r"the commitment's window starts at (?P<at>\S+); what it delivered can be recorded from then",
        "该承诺的时段从 {at} 开始，从那时起才能记录其履行情况",
    ),
    (
        rf"the commitment is {_STATUS}; only a fulfilled one can be corrected",
        "该承诺当前状态为「{status}」，只有已履行的承诺才能更正",
    ),
    (
        rf"the commitment is {_STATUS}; only a fulfilment can be corrected",
        "该承诺当前状态为「{status}」，只有履行记录才能更正",
    ),
    (
        rf"the plan is {_STATUS}: its commitments take no further step",
        "该活动计划当前状态为「{status}」，其承诺不能再有后续操作",
    ),
    (rf"at most (?P<limit>{_NUM}) \((?P<phrase>.+)\)", "最多 {limit}（{phrase}）"),
    # the bounds a figure is held to (phrases inside "at most …")
    (r"the commitment's (?P<hours>\S+) hours", "承诺的 {hours} 小时"),
    (r"1 person × (?P<hours>\S+) hours", "1 人 × {hours} 小时"),
    (r"(?P<people>\d+) people × (?P<hours>\S+) hours", "{people} 人 × {hours} 小时"),
    (
        r"(?P<quantity>\d+) (?P<measure>[a-z_]+) × (?P<staff>\d+) volunteers × (?P<hours>\S+) hours",
        "{quantity} {measure} × 每份 {staff} 名志愿者 × {hours} 小时",
    ),
    (r"the need's people_served_limit", "需求的服务人数上限"),
    (r"the slot's people_served_limit", "岗位的服务人数上限"),
    (r"the plan's expected attendance", "活动计划的预计参加人数"),
    (r"(?P<per>\d+) × the need's quantity (?P<quantity>\d+)", "{per} × 需求数量 {quantity}"),
    (r"(?P<per>\d+) × the slot's quantity (?P<quantity>\d+)", "{per} × 岗位数量 {quantity}"),
    (r"the slot's or need's bound", "岗位或需求的上限"),
    # --- the domain: offers, needs, plans, units, tokens
    (rf"(?P<kind>offer|need|plan|slot|token|commitment) {_ID} already exists", "{kind} {id} 已存在"),
    (rf"(?P<kind>offer|need|plan|slot|token|commitment) {_ID} does not exist", "{kind} {id} 不存在"),
    (r"the offer is withdrawn and can no longer change", "该资源已撤回，不能再修改"),
    (rf"the need is {_STATUS} and can no longer change", "该需求当前状态为「{status}」，不能再修改"),
    (rf"the plan is {_STATUS} and can no longer change", "该活动计划当前状态为「{status}」，不能再修改"),
    (
        r"the offer is measured in (?P<measure>[a-z_]+) and (?P<holds>\d+) commitments hold it; "
        r"its measure cannot become (?P<new>[a-z_]+) \(withdraw it and submit a new offer\)",
        "该资源按「{measure}」计量，已有 {holds} 项承诺占用它，"
        "计量单位不能改为「{new}」（请撤回后重新提交资源）",
    ),
    (
        rf"capacity (?P<capacity>{_NUM}) is below the (?P<held>{_NUM}) already committed at one time",
        "容量 {capacity} 低于同一时间已承诺的 {held}",
    ),
    (
        rf"only an active offer can be paused \(it is {_STATUS}\)",
        "只有有效的资源才能暂停（当前为「{status}」）",
    ),
    (
        rf"only a paused offer can be resumed \(it is {_STATUS}\)",
        "只有已暂停的资源才能恢复（当前为「{status}」）",
    ),
    (
        rf"only a published plan can be completed \(the plan is {_STATUS}\)",
        "只有已发布的活动计划才能完成（当前为「{status}」）",
    ),
    (rf"only a draft can be published \(the plan is {_STATUS}\)", "只有草稿才能发布（当前为「{status}」）"),
    (
        r"the plan has (?P<count>\d+) open commitments: (?P<named>.+); fulfil, release or mark them first, "
        r"or complete with release_open: true to release them",
        "该活动计划还有 {count} 项未结束的承诺：{named}；"
        "请先记录履行、释放或标记它们，或以 release_open: true 完成计划以释放它们",
    ),
    (r"a slot's window lies within its plan's window", "岗位的时段须在其活动计划的时段之内"),
    (r"a slot starts before it ends", "岗位的开始时间须早于结束时间"),
    (rf"unit {_ID} is already registered", "单位 {id} 已登记"),
    (rf"unit {_ID} is not registered", "单位 {id} 未登记"),
    (
        r"unit (?P<id>\S+) is already named (?P<name>.+) in (?P<area>.+)",
        "单位 {id} 在 {area} 已使用名称 {name}",
    ),
    (r"a liaison token needs a unit_id; other roles have none", "联络员令牌须指定 unit_id，其他角色不指定"),
    (r"no (?P<kind>[a-z_ ]+) with id (?P<id>.+)", "找不到 id 为 {id} 的{kind}"),
    (
        r"If-Match expected version (?P<expected>\d+), the entity is at version (?P<actual>\d+)",
        "If-Match 期望版本 {expected}，但该记录已是版本 {actual}（已被他人修改，请刷新后重试）",
    ),
    # --- the service
    (
        r"the registry kept changing while the plan was allocated; try again",
        "分配期间登记簿数据不断变化，请重试",
    ),
    (
        rf"the plan is {_STATUS}; only a draft or published plan is allocated",
        "该活动计划当前状态为「{status}」，只有草稿或已发布的计划才能分配",
    ),
    (r"only a dry run can be computed as of a past position", "只有试算才能按过去的日志位置计算"),
    (
        r"only the centre's coordinators and the offering unit's liaison act on a commitment",
        "只有中心的协调员和提供资源单位的联络员可以操作承诺",
    ),
    (r"a no-show is recorded by the centre", "未到场由中心记录"),
    (
        r"a fulfilment is corrected by the centre; the unit may request a correction",
        "履行记录由中心更正；单位可以申请更正",
    ),
    (
        r"a correction is requested by the offering unit's liaison; the centre corrects",
        "更正由提供资源单位的联络员申请，由中心更正",
    ),
    (rf"commitment {_ID} already exists", "承诺 {id} 已存在"),
    (rf"{_ROLE} may not act for a unit", "{role}不能代表单位操作"),
    (rf"{_ROLE} may not do this \(only (?P<phrase>.+)\)", "{role}无权执行此操作（仅限{phrase}）"),
    (rf"{_ROLE} or (?P<phrase>.+)", "{role}或{phrase}"),
    (
        r"a liaison acts only for its own unit, and this is another's",
        "联络员只能代表本单位操作，这是其他单位的",
    ),
    (
        r"the entities kept changing while this was decided \((?P<attempts>\d+) attempts\); try again",
        "处理期间相关数据不断变化（已尝试 {attempts} 次），请重试",
    ),
    # --- the edge: authentication, headers, as_of, cursors, query windows
    (r"an Authorization: Bearer <token> header is required", "需要 Authorization: Bearer <令牌> 请求头"),
    (r"the token is unknown or revoked", "令牌未知或已被吊销"),
    (
        r"/metrics needs the metrics token \(REGISTRY_METRICS_TOKEN\) as a Bearer token",
        "/metrics 需要以 Bearer 方式提供指标令牌（REGISTRY_METRICS_TOKEN）",
    ),
    (r"not signed in", "尚未登录"),
    (r"the session has ended", "会话已结束"),
    (
        r"too many failed authentications from this address; retry after (?P<wait>\d+) s",
        "此地址认证失败次数过多，请 {wait} 秒后重试",
    ),
    (r'expected an entity tag like "3"', '应为形如 "3" 的实体标签'),
    (r"(?P<low>\d+) to (?P<high>\d+) characters", "{low} 到 {high} 个字符"),
    (r"1 to (?P<longest>\d+) printable ASCII characters", "1 到 {longest} 个可打印 ASCII 字符"),
    (r"not UTF-8 once percent-decoded", "百分号解码后不是 UTF-8"),
    (
        r"position (?P<position>\d+) is beyond the log's head, (?P<head>\d+)",
        "位置 {position} 超出了日志末端 {head}",
    ),
    (r"a log position is at most 2\^63 - 1", "日志位置最大为 2^63 - 1"),
    (r"a log position or an RFC 3339 time with offset", "应为日志位置或带时区偏移的 RFC 3339 时间"),
    (
        r"(?P<as_of>\S+) is in the future; the log's head is position (?P<head>\d+)",
        "{as_of} 是将来的时间；日志末端位于位置 {head}",
    ),
    (r"not a cursor this API returned", "不是本 API 返回的游标"),
    (r"give available_from and available_to together", "available_from 与 available_to 须同时提供"),
    (r"must be after (?P<other>[a-z_]+)", "须晚于 {other}"),
    (r"must not be before (?P<other>[a-z_]+)", "不得早于 {other}"),
    (r"an RFC 3339 time with offset", "应为带时区偏移的 RFC 3339 时间"),
    (
        r"up to (?P<types>\d+) event types of 1 to 200 characters",
        "最多 {types} 个事件类型，每个 1 到 200 个字符",
    ),
    (r"not valid JSON: (?P<reason>.*)", "不是有效的 JSON：{reason}"),
    # --- the request types
    (
        r"unknown category code (?P<code>.+) \(see GET /api/v1/categories\)",
        "未知的类别代码 {code}（见 GET /api/v1/categories）",
    ),
    (
        r"give either starts_at and ends_at, or weekdays, start_time, end_time, from_date and to_date",
        "请提供 starts_at 和 ends_at，或者 weekdays、start_time、end_time、from_date 和 to_date",
    ),
    (r"give plan_id and slot_id, or need_id", "请提供 plan_id 和 slot_id，或者 need_id"),
    (r"must say why \(not blank\)", "须说明原因（不能为空）"),
    (r"a year from (?P<low>\d+) to (?P<high>\d+)", "年份须在 {low} 到 {high} 之间"),
    (r"each weekday once", "每个星期几只能出现一次"),
    (r"local times \(Asia/Shanghai\), no offset", "应为本地时间（Asia/Shanghai），不带时区偏移"),
    (r"give both starts_at and ends_at, or neither", "starts_at 与 ends_at 须同时提供或都不提供"),
    (
        r"only a dry run takes weights; dispatches use the configured ones",
        "只有试算可以指定权重；正式派单使用配置的权重",
    ),
    (r"a liaison token is bound to a unit", "联络员令牌须绑定一个单位"),
    (r"only a liaison token is bound to a unit", "只有联络员令牌才绑定单位"),
    (r"at most (?P<days>\d+) days after from_date", "最多在 from_date 之后 {days} 天"),
    (r"must not hold bidirectional controls \((?P<which>.+)\)", "不得包含双向控制字符（{which}）"),
    (
        r"must not be blank \(nor only spaces or invisible characters\)",
        "不能为空（也不能只有空格或不可见字符）",
    ),
    # --- the pages' forms
    (rf"at least (?P<low>{_NUM})", "至少 {low}"),
    (r"a number is required", "须填写数字"),
    (r"a whole number is required", "须填写整数"),
    # --- the pages' list filters
    (r"not a unit kind", "不是已知的单位类型"),
    (r"a log position is required", "须填写日志位置"),
    (rf"one line of at most (?P<n>{_NUM}) characters", "须为一行文字，最多 {n} 个字符"),
    (r"an area path: place names joined by /", "须为区域路径：以 / 连接的地名，如 虹口区/欧阳路街道"),
    (r"a date and time is required \(YYYY-MM-DDTHH:MM\)", "须填写日期和时间（YYYY-MM-DDTHH:MM）"),
    # --- the pages' allocation: the dry run the dispatch was asked from is stale
    (
        r"the allocation changed since the dry run; look at the new one before dispatching",
        "自预览以来派单方案已变化，请查看新方案后再派单",
    ),
    # --- the domain: a plan's slots once commitments name them
    (
        r"commitments name this slot: only its quantity and notes can change, not its "
        r"category, measure or window",
        "已有承诺指向该岗位：只能修改数量和备注，不能修改类别、计量单位或时间",
    ),
    (
        rf"commitments cover (?P<n>{_NUM}) of this slot: its quantity cannot be less",
        "该岗位已有 {n} 被承接，数量不能少于此数",
    ),
    (
        r"commitments name this slot: it cannot be removed \(set its quantity instead\)",
        "已有承诺指向该岗位，不能删除（可改为调整数量）",
    ),
    (r"an id is required", "须填写 id"),
    # --- the problems' own details
    (r"the request is not valid", "请求无效"),
    (r"the body is not UTF-8 JSON", "请求体不是 UTF-8 编码的 JSON"),
    (r"the request holds a value that cannot be stored or compared", "请求中含有无法存储或比较的值"),
    (
        r"this Idempotency-Key was already used with a different request",
        "此 Idempotency-Key 已用于另一个不同的请求",
    ),
    (
        r"the change was recorded, but the read model could not apply it yet",
        "更改已记录，但读模型暂时无法应用",
    ),
    (r"the event store failed to answer this request", "事件存储未能响应此请求"),
    (
        r"the change was recorded at log position (?P<position>\d+), "
        r"but the read model has not applied it yet \((?P<reason>.*)\); retry with the same Idempotency-Key",
        "更改已记录在日志位置 {position}，但读模型尚未应用（{reason}）；请使用相同的 Idempotency-Key 重试",
    ),
    (r"the server could not answer this request", "服务器无法响应此请求"),
    (r"the database is unavailable; retry shortly", "数据库暂不可用，请稍后重试"),
    (r"the server failed to answer this request", "服务器处理此请求失败"),
    (r"invalid", "无效"),
    # Litestar's own details
    (r"Not Found", "未找到"),
    (r"Method Not Allowed", "不允许的请求方法"),
    (r"Request Entity Too Large|Content Too Large", "请求体过大"),
    # --- msgspec's validation messages
    (r"Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`", "应为 {expected}，实际为 {got}"),
    (
        rf"Expected `(?P<type>[^`]+)` of length (?P<op>[<>]=?) (?P<bound>{_NUM})",
        "{type}的长度须 {op} {bound}",
    ),
    (rf"Expected `(?P<type>[^`]+)` (?P<op>[<>]=?) (?P<bound>{_NUM})", "{type}须 {op} {bound}"),
    (rf"Expected `(?P<type>[^`]+)` that's a multiple of (?P<bound>{_NUM})", "{type}须是 {bound} 的倍数"),
    (r"Expected `str` matching regex (?P<regex>.+)", "字符串须匹配正则表达式 {regex}"),
    (r"Expected `(?P<type>[^`]+)` with a timezone component", "{type}须带时区"),
    (r"Expected `(?P<type>[^`]+)` with no timezone component", "{type}不能带时区"),
    (r"Object missing required field `(?P<name>[^`]+)`", "对象缺少必填字段 `{name}`"),
    (r"Object contains unknown field `(?P<name>[^`]+)`", "对象包含未知字段 `{name}`"),
    (r"Invalid enum value (?P<value>.+)", "无效的枚举值 {value}"),
    (r"Invalid value (?P<value>.+)", "无效的值 {value}"),
    (r"Invalid RFC3339 encoded (?P<type>datetime|date|time)", "无效的 RFC 3339 {type}"),
    (r"Invalid ISO8601 duration", "无效的 ISO 8601 时长"),
    (r"Invalid UUID", "无效的 UUID"),
    (r"Invalid epoch timestamp", "无效的时间戳"),
    (r"Invalid base64 encoded string", "无效的 base64 编码字符串"),
    (r"Duplicate field `(?P<name>[^`]+)`", "重复的字段 `{name}`"),
    (r"Timestamp is out of range", "时间戳超出范围"),
    (r"Number out of range", "数字超出范围"),
)

_CATALOGUE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(shape), template) for shape, template in _SHAPES
)
# msgspec names where a value failed: "Expected `int`, got `str` - at `$.capacity.quantity`".
_AT = re.compile(r"(?P<message>.*?)(?P<at> - at `\$[^`]*`)")


def localize(message: str, lang: Lang) -> str:
    """`message` (as raised, in English) in `lang`; a message of no known shape as it is."""
    if lang == "en":
        return message
    return _chinese(message) or message


def _chinese(message: str) -> str | None:
    for pattern, template in _CATALOGUE:
        match = pattern.fullmatch(message)
        if match is not None:
            return template.format(**{name: _value(name, text) for name, text in match.groupdict().items()})
    located = _AT.fullmatch(message)
    if located is not None:
        inner = _chinese(located["message"])
        return None if inner is None else inner + located["at"].replace(" - at ", "，位置 ")
    return None


def _value(name: str, text: str) -> str:
    # A phrase is a message of its own ("the slot's people_served_limit"), told by the catalogue.
    if name.startswith("phrase"):
        return _chinese(text) or _word(text)
    return _word(text)


def localize_errors(errors: Iterable[FieldError], lang: Lang) -> list[FieldError]:
    """Each field error with its message in `lang` (the field's name is the API's, never told)."""
    return [FieldError(error.field, localize(error.message, lang)) for error in errors]


def joined(errors: Iterable[FieldError]) -> str:
    """The field errors as one detail, as `InvalidInput` says them: `field: message; …`."""
    return "; ".join(f"{error.field}: {error.message}" for error in errors)


# RFC 9110 §12.5.4: `Accept-Language: zh-CN, zh;q=0.9, en;q=0.8`. A language range is `*` or
# subtags of 1 to 8 letters or digits (the first letters only); q is 0 to 1 with up to 3 decimals.
_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_QUALITY = re.compile(r"[qQ]=(?P<q>0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
# The Chinese the registry writes is Simplified (zh-CN): a range for Traditional is not met by it.
_TRADITIONAL = {"hant", "tw", "hk", "mo"}
DEFAULT_API_LANG: Lang = "en"


def accepted_ranges(header: str) -> list[tuple[str, float]]:
    """The header's language ranges (lower case) with their quality, in order; malformed ones left out."""
    found = []
    for item in header.split(","):
        language, *parameters = (part.strip() for part in item.split(";"))
        if not _RANGE.fullmatch(language):
            continue
        quality = 1.0
        for parameter in parameters:
            matched = _QUALITY.fullmatch(parameter.replace(" ", ""))
            if matched is None:
                quality = -1.0  # a malformed weight: the range is left out, not guessed at
                break
            quality = float(matched["q"])
        if quality >= 0:
            found.append((language.lower(), quality))
    return found


def _serves(language_range: str, lang: Lang) -> bool:
    primary, *rest = language_range.split("-")
    if primary != lang:
        return False
    return lang != "zh" or not _TRADITIONAL.intersection(rest)


def negotiated(header: str | None, default: Lang = DEFAULT_API_LANG) -> Lang:
    """The language to answer in: the one of LANGS the header weighs highest (q > 0).

    A language is weighed by the range that names it (`zh-CN`, `zh`, `zh-Hans`), else by `*`;
    a tie goes to the range written first. No header, nothing acceptable: `default`.
    """
    if not header:
        return default
    ranges = accepted_ranges(header)
    wildcard = next(((i, q) for i, (r, q) in enumerate(ranges) if r == "*"), None)
    best: tuple[float, int, Lang] | None = None
    for lang in LANGS:
        named = [(i, q) for i, (r, q) in enumerate(ranges) if _serves(r, lang)]
        # The most specific range names it; several equally specific: the highest weight.
        weighed = max(named, key=lambda iq: (len(ranges[iq[0]][0]), iq[1]), default=wildcard)
        if weighed is None or weighed[1] <= 0:
            continue
        index, quality = weighed
        # Ahead: the heavier; then the range written first; then (both by `*`) the default.
        if best is None or (quality, -index, lang == default) > (best[0], -best[1], best[2] == default):
            best = (quality, index, lang)
    return default if best is None else best[2]
