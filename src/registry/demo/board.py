"""What the demo prints: the fair's match board as the solver saw it, the fair's report, the needs
and the other activities, and the log's head. Read from the read model, printed as plain tables."""

from __future__ import annotations

import uuid

import msgspec
from rich import box
from rich.console import Console
from rich.table import Table

from registry.demo.load import FAIR_ID, demo_id
from registry.demo.network import NEEDS, TRAINING
from registry.domain.taxonomy import CATEGORIES
from registry.matching.board import need_matches, plan_matches
from registry.matching.config import MatchConfig
from registry.matching.scoring import Candidate
from registry.read.board import read_need_board, read_plan_board
from registry.read.reports import PlanReport, plan_report
from registry.service.aggregates import UNITS
from registry.service.allocations import AllocationOut
from registry.service.execute import Registry

CANDIDATES_SHOWN = 3


class BoardLine(msgspec.Struct, frozen=True, kw_only=True):
    notes: str | None
    category: str
    quantity: int
    candidates: list[Candidate]
    # The offers the solver dispatched to this slot.
    chosen: list[uuid.UUID]


class DemandLine(msgspec.Struct, frozen=True, kw_only=True):
    what: str
    unit_id: uuid.UUID | None
    category: str
    quantity: int
    committed: int
    status: str
    # Who covers it; or, while it is uncovered, the best candidate.
    covered_by: list[uuid.UUID]
    best: Candidate | None


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    board_position: int
    board: list[BoardLine]
    report: PlanReport
    demand: list[DemandLine]
    names: dict[uuid.UUID, str]
    head_position: int
    head_hash: str


async def read_summary(registry: Registry, allocation: AllocationOut, config: MatchConfig) -> Summary:
    pool = registry.list_pool
    # The board as the solver saw it: afterwards the fair's booths are taken and it would be empty.
    fair, board = await read_plan_board(pool, FAIR_ID, allocation.log_position, config)
    matches = plan_matches(fair, board, config.weights, CANDIDATES_SHOWN)
    lines = [
        BoardLine(
            notes=slot.notes,
            category=slot.category,
            quantity=slot.quantity,
            candidates=found.candidates,
            chosen=[a.offer_id for a in allocation.assignments if a.slot_id == slot.id],
        )
        for slot, found in zip(fair.slots, matches.slots, strict=True)
    ]
    demand = [*(await _needs(registry, config)), *(await _training(registry, config))]
    report = await plan_report(pool, FAIR_ID, None)
    head_position, head_hash = await registry.store.head()
    unit_ids = {c.unit_id for line in lines for c in line.candidates}
    unit_ids |= {u for line in report.slots for u in line.units}
    unit_ids |= {u for d in demand for u in d.covered_by} | {d.best.unit_id for d in demand if d.best}
    unit_ids |= {d.unit_id for d in demand if d.unit_id}
    return Summary(
        title=fair.title, board_position=board.position, board=lines, report=report, demand=demand,
        names={u: await _name(registry, u) for u in sorted(unit_ids)},
        head_position=head_position, head_hash=head_hash,
    )  # fmt: skip


async def _needs(registry: Registry, config: MatchConfig) -> list[DemandLine]:
    lines = []
    for n in NEEDS:
        state, board = await read_need_board(registry.list_pool, demo_id("need", n.key), None, config)
        best = need_matches(state, board, config.weights, 1).candidates if state.uncovered else []
        lines.append(
            DemandLine(
                what=state.title,
                unit_id=state.unit_id,
                category=state.category,
                quantity=state.quantity,
                committed=state.committed,
                status=state.status,
                covered_by=[c.unit_id for c in state.covers if c.status.holds_capacity],
                best=best[0] if best else None,
            )
        )
    return lines


async def _training(registry: Registry, config: MatchConfig) -> list[DemandLine]:
    state, board = await read_plan_board(registry.list_pool, demo_id("plan", TRAINING.key), None, config)
    matches = plan_matches(state, board, config.weights, 1)
    return [
        DemandLine(
            what=f"{state.title}：{slot.notes}",
            unit_id=None,
            category=slot.category,
            quantity=slot.quantity,
            committed=slot.committed,
            status=state.status,
            covered_by=[c.unit_id for c in slot.covers if c.status.holds_capacity],
            best=found.candidates[0] if slot.uncovered and found.candidates else None,
        )
        for slot, found in zip(state.slots, matches.slots, strict=True)
    ]


async def _name(registry: Registry, unit_id: uuid.UUID) -> str:
    state, _ = await registry.load(UNITS, unit_id)
    return str(unit_id) if state is None else state.short_name or state.name


# -- printing ------------------------------------------------------------------------------------


def print_summary(summary: Summary, console: Console | None = None) -> None:
    console = console or _console()
    console.print(board_table(summary))
    console.print(report_table(summary.report))
    console.print(slot_table(summary))
    console.print(demand_table(summary))
    console.print(f"log head: position {summary.head_position}, hash {summary.head_hash}")


def _console() -> Console:
    console = Console(highlight=False, emoji=False)
    # Piped or captured: no terminal to measure, and 80 columns would fold every row.
    return console if console.is_terminal else Console(highlight=False, emoji=False, width=180)


def _label(category: str) -> str:
    return CATEGORIES[category].label_zh if category in CATEGORIES else category


def board_table(summary: Summary) -> Table:
    table = Table(
        title=f"match board 匹配看板 — {summary.title} (as read at log position {summary.board_position})",
        caption="score: weighted mean of the matching factors; * = dispatched by the solver (派单)",
        box=box.SIMPLE,
    )
    for header in ("slot 摊位", "category", "qty", *(f"candidate {i + 1}" for i in range(CANDIDATES_SHOWN))):
        table.add_column(header, justify="right" if header == "qty" else "left")
    for line in summary.board:
        cells = [
            f"{'*' if c.offer_id in line.chosen else ' '}{summary.names[c.unit_id]} {c.score:.3f}"
            for c in line.candidates
        ]
        cells += ["—"] * (CANDIDATES_SHOWN - len(cells))
        table.add_row(line.notes or _label(line.category), line.category, str(line.quantity), *cells)
    return table


REPORT_ROWS = (
    ("status", "状态"),
    ("service items run", "服务项目"),
    ("people served", "服务人次"),
    ("units involved", "参与单位"),
    ("volunteer hours", "志愿服务时长"),
    ("expected attendance", "预计参与"),
    ("report at log position", "报告所在位置"),
    ("head hash", "哈希"),
)


def report_table(report: PlanReport) -> Table:
    table = Table(title=f"report 活动报告 — {report.title}", box=box.SIMPLE, show_header=False)
    table.add_column("what")
    table.add_column("什么")
    table.add_column("value", justify="right")
    values = (
        report.status, report.service_items, report.people_served, report.units_involved,
        f"{report.volunteer_hours:g}", report.expected_attendance, report.log_position, report.head_hash,
    )  # fmt: skip
    for (what, zh), value in zip(REPORT_ROWS, values, strict=True):
        table.add_row(what, zh, str(value))
    return table


def slot_table(summary: Summary) -> Table:
    table = Table(title="per slot 各服务项目", box=box.SIMPLE)
    for header in ("service 服务项目", "category", "qty", "committed", "fulfilled", "people", "hours"):
        table.add_column(header, justify="left" if header in ("service 服务项目", "category") else "right")
    table.add_column("units 单位")
    for line in summary.report.slots:
        units = "、".join(summary.names[u] for u in line.units)
        table.add_row(
            line.label_zh, line.category, str(line.quantity), str(line.committed), str(line.fulfilled),
            str(line.people_served), f"{line.volunteer_hours:g}", units,
        )  # fmt: skip
    return table


def demand_table(summary: Summary) -> Table:
    table = Table(title="needs and open activities 需求与其他活动", box=box.SIMPLE)
    for header in ("what 事项", "raised by", "category", "qty", "committed", "status"):
        table.add_column(header, justify="right" if header in ("qty", "committed") else "left")
    table.add_column("covered by / best candidate")
    for d in summary.demand:
        if d.covered_by:
            who = "、".join(summary.names[u] for u in d.covered_by)
        elif d.best is not None:
            who = f"best: {summary.names[d.best.unit_id]} {d.best.score:.3f} ({d.best.title})"
        else:
            who = "no candidate"
        raised_by = summary.names[d.unit_id] if d.unit_id else "党群服务中心"
        table.add_row(d.what, raised_by, _label(d.category), str(d.quantity), str(d.committed), d.status, who)
    return table
