"""The category taxonomy shipped with the registry: hierarchical codes with Chinese and English labels.

A code's parent is the code before its last dot; a filter on a code matches its descendants
(`repair` matches `repair.umbrella`). Coordinators may extend it; these are the ones every
registry starts with, covering the services of the Ouyang Road newsletter and the usual
co-building resources.
"""

from __future__ import annotations

import msgspec


class Category(msgspec.Struct, frozen=True):
    code: str
    label_zh: str
    label_en: str

    @property
    def parent(self) -> str | None:
        head, dot, _ = self.code.rpartition(".")
        return head if dot else None


_SHIPPED: tuple[tuple[str, str, str], ...] = (
    ("medical", "医疗卫生", "Medical and health"),
    ("medical.eye-screening", "眼科筛查", "Eye screening"),
    ("medical.consultation", "健康咨询", "Health consultation"),
    ("medical.blood-pressure", "血压血糖测量", "Blood pressure and sugar checks"),
    ("medical.tcm", "中医理疗", "Traditional Chinese medicine"),
    ("medical.first-aid", "急救培训", "First-aid training"),
    ("counseling", "心理与咨询", "Counselling"),
    ("counseling.psychological", "心理健康咨询", "Psychological counselling"),
    ("counseling.family", "家庭关系调解", "Family mediation"),
    ("legal", "法律服务", "Legal services"),
    ("legal.consultation", "法律咨询", "Legal advice"),
    ("legal.policy", "政策咨询", "Policy advice"),
    ("legal.social-security", "社保政策咨询", "Social-security advice"),
    ("repair", "便民维修", "Repairs"),
    ("repair.small-appliance", "小家电维修", "Small-appliance repair"),
    ("repair.clock", "钟表维修", "Clock and watch repair"),
    ("repair.umbrella", "修伞", "Umbrella repair"),
    ("repair.zipper", "修拉链", "Zipper repair"),
    ("repair.shoe", "修鞋", "Shoe repair"),
    ("repair.knife-sharpening", "磨刀", "Knife sharpening"),
    ("repair.tailoring", "缝补", "Mending and tailoring"),
    ("publicity", "宣传教育", "Publicity and education"),
    ("publicity.garbage-sorting", "垃圾分类宣传", "Garbage-sorting publicity"),
    ("publicity.anti-drug", "禁毒宣传", "Anti-drug publicity"),
    ("publicity.anti-fraud", "反诈宣传", "Anti-fraud publicity"),
    ("publicity.fire-safety", "消防安全宣传", "Fire-safety publicity"),
    ("publicity.civilization", "文明实践宣传", "Civic-practice publicity"),
    ("volunteers", "志愿者", "Volunteers"),
    ("volunteers.crowd-guidance", "客流引导志愿者", "Crowd-guidance volunteers"),
    ("volunteers.elderly-care", "为老服务志愿者", "Elderly-care volunteers"),
    ("volunteers.event-support", "活动保障志愿者", "Event-support volunteers"),
    ("volunteers.patrol", "平安巡逻志愿者", "Safety-patrol volunteers"),
    ("venue", "场地", "Venues"),
    ("venue.meeting-room", "会议室", "Meeting room"),
    ("venue.activity-room", "活动室", "Activity room"),
    ("venue.outdoor", "户外场地", "Outdoor space"),
    ("training", "培训讲座", "Training and lectures"),
    ("training.lecture", "讲座", "Lecture"),
    ("training.party-history", "党史学习教育", "Party-history education"),
    ("training.youth-cadre", "青年干部培训", "Youth-cadre training"),
    ("training.digital-skills", "数字技能培训", "Digital-skills training"),
    ("science", "科普", "Popular science"),
    ("science.exhibition", "科普展览", "Science exhibition"),
    ("science.workshop", "科普体验", "Science workshop"),
    ("community", "社区治理", "Community affairs"),
    ("community.elevator-installation", "加装电梯协调", "Elevator-installation coordination"),
    ("community.property-liaison", "物业与业委会联络", "Property and owners'-committee liaison"),
    ("community.affairs-acceptance", "事务受理", "Affairs acceptance"),
    ("community.city-management", "城市管理", "City management"),
    ("culture", "文化活动", "Culture"),
    ("culture.performance", "文艺演出", "Performance"),
    ("culture.reading", "阅读推广", "Reading promotion"),
    ("supplies", "物资", "Supplies"),
    ("supplies.materials", "活动物资", "Event materials"),
    ("supplies.donation", "爱心捐赠", "Donations"),
)

CATEGORIES: dict[str, Category] = {code: Category(code, zh, en) for code, zh, en in _SHIPPED}


def is_known(code: str) -> bool:
    return code in CATEGORIES


def covers(filter_code: str, code: str) -> bool:
    """Whether `code` is `filter_code` or one of its descendants."""
    return code == filter_code or code.startswith(filter_code + ".")


def subtree_bounds(code: str) -> tuple[str, str]:
    """Bounds (inclusive, exclusive) of the descendants of `code` in byte order ('/' follows '.')."""
    return code + ".", code + "/"
