"""The words of the needs' pages."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "needs.title": ("需求清单", "Needs"),
    "needs.new": ("提出需求", "Raise a need"),
    "needs.none": ("没有符合条件的需求。", "No need matches."),
    "need.title_field": ("需求名称", "Title"),
    "need.quantity": ("数量", "Quantity"),
    "need.covered": (
        "已承接 {committed} / 需 {quantity} {measure}",
        "{committed} of {quantity} {measure} committed",
    ),
    "need.when": ("时间", "When"),
    "need.local_time": ("北京时间", "Asia/Shanghai time"),
    "need.location": ("地点", "Location"),
    "need.urgency": ("紧急程度", "Urgency"),
    "need.raise": ("提出", "Raise"),
    "need.close": ("关闭需求", "Close the need"),
    "need.cancel": ("取消需求", "Cancel the need"),
    "need.cancel_reason": ("取消原因（可选）", "Reason for cancelling (optional)"),
    "urgency.low": ("不急", "low"),
    "urgency.normal": ("一般", "normal"),
    "urgency.high": ("较急", "high"),
    "urgency.urgent": ("紧急", "urgent"),
    "status.partially_met": ("部分满足", "partly met"),
    "status.closed": ("已关闭", "closed"),
}
