"""Examples of every request body, for the OpenAPI document: the Ouyang Road network's own.

Each is valid by the request type's rules (tests/test_api_docs.py decodes every one with the
route's type and runs its `check()`); none depends on today's date to be so. Written with
`Body(examples=…)` on a route's `data`: `SkipValidation[Annotated[UnitIn, examples.UNIT]]`.
"""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Example
from litestar.params import Body

OUYANG = "虹口区/欧阳路街道"
# Ids as a client would have them from earlier answers.
UNIT_ID = "1f0b7c5e-6d3a-4c8e-9b2f-3a4d5e6f7a81"
OFFER_ID = "2a1c8d6f-7e4b-4d9f-8c3a-4b5e6f7a8b92"
PLAN_ID = "3b2d9e7a-8f5c-4eaf-9d4b-5c6f7a8b9ca3"
SLOT_ID = "4c3eaf8b-9a6d-4fb0-8e5c-6d7a8b9cadb4"
NEED_ID = "5d4fb09c-ab7e-4ac1-9f6d-7e8b9cadbec5"


def examples(*named: tuple[str, dict[str, Any]]) -> Any:
    """The request body's `Body(…)` with these (summary, value) examples."""
    return Body(examples=[Example(summary=summary, value=value) for summary, value in named])


UNIT = examples(
    (
        "A community health centre",
        {
            "name": "欧阳路街道社区卫生服务中心",
            "short_name": "社区卫生服务中心",
            "kind": "public_institution",
            "area": OUYANG,
            "address": "虹口区欧阳路 000 号（示例）",
            "party_org": "社区卫生服务中心党支部",
            "description": "家庭医生、慢病管理、中医与心理服务",
        },
    ),
    ("A residents' area", {"name": "虹仪居民区", "kind": "residential_area", "area": f"{OUYANG}/虹仪居民区"}),
)
UNIT_PATCH = examples(
    ("A new description", {"description": "家庭医生签约、慢病随访、中医理疗与心理咨询"}),
    ("The co-building agreement renewed", {"agreement_until": "2030-12-31"}),
)
OFFER = examples(
    (
        "Eye screening on two mornings",
        {
            "category": "medical.eye-screening",
            "title": "老年人眼科筛查义诊",
            "description": "视力、眼压检查，白内障初筛",
            "capacity": {"quantity": 30, "measure": "people"},
            "availability": [
                {"starts_at": "2030-10-12T09:00:00+08:00", "ends_at": "2030-10-12T11:30:00+08:00"},
                {"starts_at": "2030-10-19T09:00:00+08:00", "ends_at": "2030-10-19T11:30:00+08:00"},
            ],
            "service_area": [OUYANG],
            "tags": ["义诊", "老年人"],
        },
    ),
    (
        "Small-appliance repairs every Saturday morning",
        {
            "category": "repair.small-appliance",
            "title": "小家电便民维修",
            "capacity": {"quantity": 2, "measure": "booths"},
            "availability": [
                {
                    "weekdays": [6],
                    "start_time": "09:00:00",
                    "end_time": "11:30:00",
                    "from_date": "2030-03-01",
                    "to_date": "2030-06-30",
                }
            ],
        },
    ),
)
OFFER_PATCH = examples(
    ("More people a morning", {"capacity": {"quantity": 40, "measure": "people"}}),
    ("A new title", {"title": "老年人眼科筛查（白内障初筛）"}),
)
REASON = examples(("With a reason", {"reason": "场地临时调整，改期另行通知"}), ("Without one", {}))
NEED = examples(
    (
        "Volunteers to guide the crowd",
        {
            "category": "volunteers.crowd-guidance",
            "title": "进博会期间地铁站客流引导志愿者",
            "quantity": 10,
            "starts_at": "2030-11-05T07:00:00+08:00",
            "ends_at": "2030-11-05T10:00:00+08:00",
            "location": "虹口足球场地铁站",
            "urgency": "high",
        },
    ),
    (
        "A meeting room for an afternoon",
        {
            "category": "venue.meeting-room",
            "title": "居民议事会会议室",
            "quantity": 1,
            "measure": "sessions",
            "starts_at": "2030-09-20T14:00:00+08:00",
            "ends_at": "2030-09-20T16:00:00+08:00",
        },
    ),
)
PLAN = examples(
    (
        "A season's service day",
        {
            "title": "先锋上海·四季行动（秋收篇）",
            "series": "先锋上海·四季行动",
            "venue": "欧阳路街道社区党群服务中心",
            "area": OUYANG,
            "starts_at": "2030-10-19T09:00:00+08:00",
            "ends_at": "2030-10-19T12:00:00+08:00",
            "expected_attendance": 200,
        },
    ),
)
SLOT = examples(
    ("An eye-screening booth for the whole plan", {"category": "medical.eye-screening", "quantity": 1}),
    (
        "Two umbrella-repair booths for the first hour",
        {
            "category": "repair.umbrella",
            "quantity": 2,
            "measure": "booths",
            "starts_at": "2030-10-19T09:00:00+08:00",
            "ends_at": "2030-10-19T10:00:00+08:00",
            "notes": "靠近入口",
        },
    ),
)
SLOT_PATCH = examples(
    ("Three booths instead", {"quantity": 3}),
    ("New notes", {"notes": "移至东侧入口，靠近志愿者服务台"}),
    (
        "Another category and window",
        {
            "category": "repair.umbrella",
            "measure": "booths",
            "starts_at": "2030-10-19T10:00:00+08:00",
            "ends_at": "2030-10-19T11:00:00+08:00",
        },
    ),
)
# Not `{"people_served_limit": null}` (back to the default): the document's writer drops null
# values from examples, which would leave `{}`, a body the API refuses.
PEOPLE_LIMIT = examples(("At most 60 people a commitment", {"people_served_limit": 60}))
COMMITMENT = examples(
    ("To a plan's slot", {"offer_id": OFFER_ID, "quantity": 1, "plan_id": PLAN_ID, "slot_id": SLOT_ID}),
    ("To a need", {"offer_id": OFFER_ID, "quantity": 5, "need_id": NEED_ID}),
)
FULFILMENT = examples(
    ("What the booth did", {"people_served": 42, "volunteer_hours": 9, "notes": "筛查 42 人，转诊 3 人"}),
)
CORRECTION = examples(
    ("Recounted", {"people_served": 45, "volunteer_hours": 9, "reason": "签到表复核后更正人数"}),
)
CORRECTION_REQUEST = examples(
    ("Figures to set", {"reason": "漏记了下午场的人数", "people_served": 45}),
    ("Only the reason", {"reason": "志愿服务时长记录有误，请核对"}),
)
ALLOCATE = examples(
    ("A dry run (the default)", {}),
    ("A dry run that weighs proximity more", {"dry_run": True, "weights": {"proximity": 4.0}}),
    ("Dispatch", {"dry_run": False}),
)
COMPLETE = examples(
    ("With notes", {"notes": "活动圆满完成，服务居民 200 余人"}),
    ("Releasing what is still open", {"release_open": True}),
)
CONTACT = examples(
    ("A liaison's phone", {"name": "赵某某（示例）", "phone": "138-0000-0005", "title": "办公室主任"}),
)
TOKEN = examples(
    ("A unit's liaison", {"role": "liaison", "unit_id": UNIT_ID, "label": "卫生服务中心联络员"}),
    ("An auditor", {"role": "auditor", "label": "街道纪工委审计"}),
)
