"""The Ouyang Road co-building network, as the newsletter (`seed/ouyang-road-newsletter.txt`) tells it.

Units carry their real names; offers, needs and the people to contact are made up but plausible
(the contacts are plainly fictional: 某某（示例）, 138-0000-00NN). The autumn fair's outcome is the
newsletter's: "20 余项服务项目，服务了约 200 余人次", co-hosted by the centre and the units it names.
Plain data only; `registry.demo.load` writes it through the service layer.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import msgspec

from registry.domain.values import (
    LOCAL_ZONE,
    Measure,
    OneOffWindow,
    UnitKind,
    Urgency,
    WeeklyWindow,
    Window,
)

HONGKOU = "虹口区"
OUYANG = "虹口区/欧阳路街道"
HONGYI = "虹口区/欧阳路街道/虹仪居民区"
YOUDIAN = "虹口区/欧阳路街道/邮电居民区"

# What the newsletter reports of the fair: more than 20 service items, about 200-odd people served.
NEWSLETTER_SERVICE_ITEMS = 20
NEWSLETTER_PEOPLE_SERVED = 200


class DemoContact(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    phone: str
    title: str


class DemoUnit(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    short_name: str
    kind: UnitKind
    area: str
    party_org: str | None = None
    description: str | None = None
    contacts: tuple[DemoContact, ...] = ()


class DemoOffer(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    unit: str
    category: str
    title: str
    quantity: int
    measure: Measure
    availability: tuple[Window, ...]
    service_area: tuple[str, ...]


class DemoNeed(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    unit: str
    category: str
    title: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    urgency: Urgency = Urgency.NORMAL
    description: str | None = None
    measure: Measure = Measure.PEOPLE


class DemoSlot(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    category: str
    quantity: int
    notes: str
    # The outcome recorded when the slot's commitments are fulfilled.
    people_served: int = 0
    volunteers: int = 0
    # What the quantity counts: matched only by offers measured the same way.
    measure: Measure = Measure.BOOTHS


class DemoPlan(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    series: str | None
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    expected_attendance: int | None
    slots: tuple[DemoSlot, ...]


class Pledge(msgspec.Struct, frozen=True, kw_only=True):
    """A unit claims (认领) part of another unit's need with one of its offers."""

    need: str
    offer: str
    quantity: int


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_ZONE)


# -- when ----------------------------------------------------------------------------------------

FAIR_DAY = date(2026, 10, 17)  # a Saturday
FAIR_STARTS, FAIR_ENDS = at(FAIR_DAY, 9), at(FAIR_DAY, 12)
FAIR_HOURS = (FAIR_ENDS - FAIR_STARTS) / timedelta(hours=1)
CIIE_DAY = date(2026, 11, 5)  # the expo's opening day
ELEVATOR_MEETING_DAY = date(2026, 10, 21)
TRAINING_DAY = date(2026, 10, 23)
AUTUMN_FROM, AUTUMN_TO = date(2026, 9, 1), date(2026, 12, 31)

SATURDAY_MORNINGS = WeeklyWindow(
    weekdays=[6], start_time=time(8, 30), end_time=time(12, 0), from_date=AUTUMN_FROM, to_date=AUTUMN_TO
)
OFFICE_HOURS = WeeklyWindow(
    weekdays=[1, 2, 3, 4, 5], start_time=time(9, 0), end_time=time(17, 0),
    from_date=AUTUMN_FROM, to_date=AUTUMN_TO,
)  # fmt: skip
WEEKEND_MORNINGS = WeeklyWindow(
    weekdays=[6, 7], start_time=time(8, 0), end_time=time(12, 0), from_date=AUTUMN_FROM, to_date=AUTUMN_TO
)
# Volunteers who come for the fair alone: the snuggest fit, so matching prefers them.
FAIR_MORNING = OneOffWindow(starts_at=FAIR_STARTS, ends_at=FAIR_ENDS)
CIIE_MORNINGS = WeeklyWindow(
    weekdays=[1, 2, 3, 4, 5, 6, 7], start_time=time(7, 0), end_time=time(10, 0),
    from_date=date(2026, 11, 1), to_date=date(2026, 11, 12),
)  # fmt: skip

# -- who -----------------------------------------------------------------------------------------


def _contact(n: int, surname: str, title: str = "联络员") -> DemoContact:
    return DemoContact(name=f"{surname}某某（示例）", phone=f"138-0000-{n:04d}", title=title)


UNITS: tuple[DemoUnit, ...] = (
    DemoUnit(
        key="centre",
        name="欧阳路街道社区党群服务中心",
        short_name="党群服务中心",
        kind=UnitKind.SERVICE_STATION,
        area=OUYANG,
        party_org="街道社区党群服务中心党支部",
        description="街道党群服务阵地：整合辖区共建单位资源，组织党员志愿者为民服务",
        contacts=(_contact(1, "张"), _contact(2, "陈", "党支部书记")),
    ),
    DemoUnit(
        key="luxun-park",
        name="鲁迅公园党群服务站",
        short_name="鲁迅公园站",
        kind=UnitKind.SERVICE_STATION,
        area=OUYANG,
        description="公园里的党群服务站，党员志愿者团队",
        contacts=(_contact(3, "李"),),
    ),
    DemoUnit(
        key="life",
        name="欧阳路街道社区生活服务中心",
        short_name="生活服务中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=OUYANG,
        description="便民维修与生活服务",
        contacts=(_contact(4, "王"),),
    ),
    DemoUnit(
        key="health",
        name="欧阳路街道社区卫生服务中心",
        short_name="社区卫生服务中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=OUYANG,
        description="家庭医生、慢病管理、中医与心理服务",
        contacts=(_contact(5, "赵"),),
    ),
    DemoUnit(
        key="affairs",
        name="欧阳路街道社区事务受理中心",
        short_name="事务受理中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=OUYANG,
        description="社区事务“一窗受理”",
        contacts=(_contact(6, "刘"),),
    ),
    DemoUnit(
        key="social-security",
        name="上海市社会保险事业管理中心虹口分中心",
        short_name="社保中心虹口分中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=HONGKOU,
        contacts=(_contact(7, "孙"),),
    ),
    DemoUnit(
        key="city-management",
        name="虹口区城管执法局欧阳中队",
        short_name="城管欧阳中队",
        kind=UnitKind.AGENCY,
        area=OUYANG,
        contacts=(_contact(8, "周"),),
    ),
    DemoUnit(
        key="heping-eye",
        name="上海和平眼科医院",
        short_name="和平眼科医院",
        kind=UnitKind.ENTERPRISE,
        area=OUYANG,
        contacts=(_contact(9, "吴"),),
    ),
    DemoUnit(
        key="changhai",
        name="长海医院虹口院区",
        short_name="长海医院虹口院区",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=OUYANG,
        contacts=(_contact(10, "郑"),),
    ),
    DemoUnit(
        key="metro",
        name="地铁10号线邮电新村站",
        short_name="邮电新村站",
        kind=UnitKind.ENTERPRISE,
        area=YOUDIAN,
        party_org="地铁10号线邮电新村站党支部",
        contacts=(_contact(11, "冯"), _contact(12, "钱", "站长")),
    ),
    DemoUnit(
        key="science",
        name="虹口区科技党群服务中心",
        short_name="区科技党群服务中心",
        kind=UnitKind.SERVICE_STATION,
        area=HONGKOU,
        description="科普资源与科技党员志愿者",
        contacts=(_contact(13, "褚"),),
    ),
    DemoUnit(
        key="civilization",
        name="欧阳路街道新时代文明实践中心",
        short_name="新时代文明实践中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=OUYANG,
        description="文明实践志愿服务队伍",
        contacts=(_contact(14, "卫"),),
    ),
    DemoUnit(
        key="district-party",
        name="虹口区党建服务中心",
        short_name="区党建服务中心",
        kind=UnitKind.PUBLIC_INSTITUTION,
        area=HONGKOU,
        party_org="虹口区党建服务中心党支部",
        contacts=(_contact(15, "蒋"),),
    ),
    DemoUnit(
        key="office",
        name="欧阳路街道办事处",
        short_name="街道办事处",
        kind=UnitKind.AGENCY,
        area=OUYANG,
        party_org="欧阳路街道机关党支部",
        description="街道党工委、办事处：加装电梯等民生工作的推进与协调",
        contacts=(_contact(16, "沈"),),
    ),
    DemoUnit(
        key="hongyi",
        name="虹仪居民区",
        short_name="虹仪居民区",
        kind=UnitKind.RESIDENTIAL_AREA,
        area=HONGYI,
        party_org="虹仪居民区党总支",
        contacts=(_contact(17, "韩"), _contact(18, "杨", "党总支书记")),
    ),
    DemoUnit(
        key="youdian",
        name="邮电居民区",
        short_name="邮电居民区",
        kind=UnitKind.RESIDENTIAL_AREA,
        area=YOUDIAN,
        party_org="邮电居民区党总支",
        contacts=(_contact(19, "朱"),),
    ),
)

# -- what they offer (资源清单) ------------------------------------------------------------------


def _offer(
    unit: str,
    key: str,
    category: str,
    title: str,
    quantity: int = 1,
    measure: Measure = Measure.BOOTHS,
    when: tuple[Window, ...] = (SATURDAY_MORNINGS,),
    serves: tuple[str, ...] = (OUYANG,),
) -> DemoOffer:
    return DemoOffer(
        key=f"{unit}/{key}", unit=unit, category=category, title=title, quantity=quantity,
        measure=measure, availability=when, service_area=serves,
    )  # fmt: skip


ALL_HONGKOU = (HONGKOU,)
FAIR_ONLY = (FAIR_MORNING,)
WEEKENDS = (WEEKEND_MORNINGS,)
WEEKDAYS = (OFFICE_HOURS,)
PEOPLE, SESSIONS = Measure.PEOPLE, Measure.SESSIONS

OFFERS: tuple[DemoOffer, ...] = (
    # the fair's booths
    _offer("heping-eye", "eye-screening", "medical.eye-screening", "眼科义诊：视力与眼压筛查", 2,
           serves=ALL_HONGKOU),
    _offer("changhai", "consultation", "medical.consultation", "专家义诊咨询", 2, serves=ALL_HONGKOU),
    _offer("changhai", "first-aid", "medical.first-aid", "急救知识普及与演示", serves=ALL_HONGKOU),
    _offer("health", "consultation", "medical.consultation", "家庭医生健康咨询"),
    _offer("health", "blood-pressure", "medical.blood-pressure", "血压血糖测量", 2),
    _offer("health", "tcm", "medical.tcm", "中医推拿与艾灸体验"),
    _offer("health", "psychological", "counseling.psychological", "心理健康咨询"),
    _offer("luxun-park", "psychological", "counseling.psychological", "心理疏导志愿服务", when=FAIR_ONLY),
    _offer("centre", "legal", "legal.consultation", "党员律师法律咨询",
           when=(SATURDAY_MORNINGS, OFFICE_HOURS)),
    _offer("affairs", "policy", "legal.policy", "惠民政策咨询"),
    _offer("affairs", "acceptance", "community.affairs-acceptance", "社区事务受理业务咨询"),
    _offer("social-security", "advice", "legal.social-security", "社保政策咨询与办理指导",
           serves=ALL_HONGKOU),
    _offer("life", "small-appliance", "repair.small-appliance", "小家电维修"),
    _offer("life", "clock", "repair.clock", "钟表维修"),
    _offer("life", "umbrella", "repair.umbrella", "修伞"),
    _offer("life", "zipper", "repair.zipper", "修拉链"),
    _offer("life", "shoe", "repair.shoe", "修鞋"),
    _offer("life", "knife", "repair.knife-sharpening", "磨刀"),
    _offer("luxun-park", "umbrella", "repair.umbrella", "党员志愿者修伞", when=FAIR_ONLY),
    _offer("luxun-park", "tailoring", "repair.tailoring", "党员志愿者缝补"),
    _offer("luxun-park", "elderly-care", "volunteers.elderly-care", "为老服务咨询台"),
    _offer("city-management", "garbage-sorting", "publicity.garbage-sorting", "垃圾分类宣传"),
    _offer("city-management", "consultation", "community.city-management", "城管执法咨询"),
    _offer("civilization", "garbage-sorting", "publicity.garbage-sorting", "垃圾分类志愿宣传", when=WEEKENDS),
    _offer("civilization", "anti-drug", "publicity.anti-drug", "禁毒宣传", when=WEEKENDS),
    _offer("civilization", "anti-fraud", "publicity.anti-fraud", "反诈宣传", when=WEEKENDS),
    # the expo volunteers (进博先锋·党员行动)
    _offer("centre", "ciie-volunteers", "volunteers.crowd-guidance", "党员志愿者（进博服务保障）", 6, PEOPLE,
           (CIIE_MORNINGS,)),
    _offer("science", "ciie-volunteers", "volunteers.crowd-guidance", "科技党员志愿者", 4, PEOPLE,
           (CIIE_MORNINGS,), ALL_HONGKOU),
    _offer("youdian", "ciie-volunteers", "volunteers.crowd-guidance", "邮电居民区党员志愿者服务队", 6, PEOPLE,
           (CIIE_MORNINGS,)),
    _offer("civilization", "ciie-volunteers", "volunteers.crowd-guidance", "文明实践志愿者", 4, PEOPLE,
           (CIIE_MORNINGS,)),
    # rooms, liaison, lectures and the rest of the resource lists
    _offer("centre", "meeting-room", "venue.meeting-room", "党群服务中心会议室", 1, SESSIONS, WEEKDAYS),
    _offer("office", "property-liaison", "community.property-liaison",
           "物业、业委会与居委会“三驾马车”协调", 2, SESSIONS, WEEKDAYS),
    _offer("office", "elevator", "community.elevator-installation", "加装电梯政策与流程指导", 2, SESSIONS,
           WEEKDAYS),
    _offer("district-party", "lecture", "training.lecture", "党性修养专题党课", 2, SESSIONS, WEEKDAYS,
           ALL_HONGKOU),
    _offer("science", "lecture", "training.lecture", "科技创新专题讲座", 1, SESSIONS, WEEKDAYS, ALL_HONGKOU),
    _offer("science", "exhibition", "science.exhibition", "科普展览进社区", 1, SESSIONS,
           (OFFICE_HOURS, SATURDAY_MORNINGS), ALL_HONGKOU),
    _offer("metro", "safety", "publicity.civilization", "文明乘车与地铁安全宣传进社区", 1, SESSIONS,
           WEEKDAYS),
)  # fmt: skip

# -- what they need (需求清单) -------------------------------------------------------------------

NEEDS: tuple[DemoNeed, ...] = (
    DemoNeed(
        key="metro/ciie-crowd-guidance",
        unit="metro",
        category="volunteers.crowd-guidance",
        title="进博先锋·党员行动：早高峰客流引导志愿者",
        quantity=12,
        starts_at=at(CIIE_DAY, 7),
        ends_at=at(CIIE_DAY, 10),
        location="地铁10号线邮电新村站各出入口",
        urgency=Urgency.HIGH,
        description="进博会期间早高峰进出站客流引导、问询与秩序维护",
    ),
    DemoNeed(
        key="hongyi/elevator-meeting-room",
        unit="hongyi",
        category="venue.meeting-room",
        title="加装电梯：业主与承建单位沟通交流会场地",
        quantity=1,
        starts_at=at(ELEVATOR_MEETING_DAY, 14),
        ends_at=at(ELEVATOR_MEETING_DAY, 16),
        location="欧阳路351弄8号、317号、319号",
        description="就设计、材料、施工听取业主意见，协调分歧",
        measure=Measure.SESSIONS,
    ),
    DemoNeed(
        key="hongyi/elevator-property-liaison",
        unit="hongyi",
        category="community.property-liaison",
        title="加装电梯：物业公司与业委会联络协调",
        quantity=1,
        starts_at=at(ELEVATOR_MEETING_DAY, 14),
        ends_at=at(ELEVATOR_MEETING_DAY, 16),
        location="欧阳路351弄8号、317号、319号",
        description="加装后的使用与维保，业委会、物业与居委会共同跟进",
        measure=Measure.SESSIONS,
    ),
)

# Units claim the metro station's need (认领); the centre confirms.
PLEDGES: tuple[Pledge, ...] = (
    Pledge(need="metro/ciie-crowd-guidance", offer="youdian/ciie-volunteers", quantity=4),
    Pledge(need="metro/ciie-crowd-guidance", offer="centre/ciie-volunteers", quantity=4),
    Pledge(need="metro/ciie-crowd-guidance", offer="science/ciie-volunteers", quantity=4),
)

# -- the activities (项目清单) -------------------------------------------------------------------


def _booth(category: str, notes: str, people: int, volunteers: int, quantity: int = 1) -> DemoSlot:
    return DemoSlot(
        key=category, category=category, quantity=quantity, notes=notes,
        people_served=people, volunteers=volunteers,
    )  # fmt: skip


FAIR = DemoPlan(
    key="fair-2026-autumn",
    title="先锋上海·四季行动（秋收篇）",
    series="先锋上海·四季行动",
    venue="欧阳路街道社区党群服务中心",
    area=OUYANG,
    starts_at=FAIR_STARTS,
    ends_at=FAIR_ENDS,
    expected_attendance=200,
    slots=(
        _booth("medical.eye-screening", "眼科义诊", 19, 3),
        _booth("medical.consultation", "医疗咨询（两个诊台）", 22, 4, quantity=2),
        _booth("medical.blood-pressure", "血压血糖测量", 16, 2),
        _booth("medical.tcm", "中医推拿体验", 9, 2),
        _booth("medical.first-aid", "急救知识普及", 7, 2),
        _booth("counseling.psychological", "心理健康咨询", 6, 1),
        _booth("legal.consultation", "法律咨询", 8, 2),
        _booth("legal.policy", "政策咨询", 9, 1),
        _booth("legal.social-security", "社保政策咨询", 11, 2),
        _booth("community.affairs-acceptance", "事务受理咨询", 6, 1),
        _booth("repair.small-appliance", "小家电维修", 10, 2),
        _booth("repair.clock", "钟表维修", 8, 1),
        _booth("repair.umbrella", "修伞", 11, 1),
        _booth("repair.zipper", "修拉链", 9, 1),
        _booth("repair.shoe", "修鞋", 10, 1),
        _booth("repair.knife-sharpening", "磨刀", 10, 1),
        _booth("repair.tailoring", "缝补", 6, 2),
        _booth("publicity.garbage-sorting", "垃圾分类宣传", 9, 2),
        _booth("community.city-management", "城管执法咨询", 4, 1),
        _booth("publicity.anti-drug", "禁毒宣传", 5, 2),
        _booth("publicity.anti-fraud", "反诈宣传", 6, 2),
        _booth("volunteers.elderly-care", "为老服务", 5, 2),
    ),
)

TRAINING = DemoPlan(
    key="youth-cadre-training-2026",
    title="2026年街道青年干部及居民区青年社工培训开班式",
    series="青年干部培训",
    venue="欧阳路街道社区党群服务中心",
    area=OUYANG,
    starts_at=at(TRAINING_DAY, 14),
    ends_at=at(TRAINING_DAY, 16, 30),
    expected_attendance=90,
    slots=(
        DemoSlot(
            key="lecture",
            category="training.lecture",
            quantity=1,
            notes="社区治理案例与思考专题课",
            measure=Measure.SESSIONS,
        ),
    ),
)

PLANS: tuple[DemoPlan, ...] = (FAIR, TRAINING)
