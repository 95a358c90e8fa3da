"""The inbox's words for claiming (the first inbox's are in `common`)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "claim.title": ("可认领的岗位与需求", "Slots and needs to claim"),
    "claim.none": ("暂无本单位资源可承接的岗位或需求。", "No open slot or need fits this unit's offers."),
    "claim.unfit": (
        "另有 {count} 个待承接的岗位或需求，本单位暂无合适的资源（类别、时间、计量单位或剩余容量不符）。",
        "{count} more open slots or needs fit none of this unit's offers (category, time, measure or "
        "remaining capacity).",
    ),
    "claim.slot": ("活动岗位", "Plan slot"),
    "claim.need": ("单位需求", "Unit's need"),
    "claim.still_needed": ("还缺 {uncovered} {measure}", "{uncovered} {measure} still needed"),
    "claim.offer": ("用哪项资源承接", "Claim with"),
    "claim.quantity": ("承接数量", "Quantity"),
    "claim.submit": ("认领", "Claim"),
    "fit.same_category": ("类别相符", "same category"),
    "fit.within_category": ("属于所需的{wanted}", "within {wanted}"),
    "fit.whole_window": ("时间全覆盖", "available the whole time"),
    "fit.remaining": ("剩余 {remaining} {measure}", "{remaining} {measure} left"),
    "fit.joiner": (" · ", " · "),
}
