"""`registry audit export / import` and `registry projections rebuild [--check]` on real databases,
with progress bars drawn on a terminal and nowhere else."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from events import RecordedEvent
from events.projection import Projection
from registry.cli import main
from registry.progress import counting_bytes, progress, tracking
from tests.api_fixtures import named_clone, run_statements
from tests.conftest import Dropper, clone_of
from tests.test_transfer import fill_registry_at, read_model_rows

# What a drawn bar leaves in its output: the bar's glyphs or a terminal escape sequence.
BAR_MARKS = ("━", "\x1b[")


def run(dsn: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setenv("DATABASE_URL", dsn)
    return CliRunner().invoke(main, list(args))


def assert_no_bar(result: Result) -> None:
    assert not any(mark in result.stderr for mark in BAR_MARKS), result.stderr
    assert not any(mark in result.stdout for mark in BAR_MARKS), result.stdout


@pytest.fixture(scope="module")
def filled_template(server_dsn: str, template_database: str, run_prefix: str) -> Iterator[str]:
    """A registry's events and caught-up read models, made once for the module (about a second
    through the API), for each test to clone."""
    name = f"{run_prefix}_cli_audit"
    with named_clone(server_dsn, template_database, name) as dsn:
        asyncio.run(fill_registry_at(dsn))
        yield name


@pytest.fixture
def registry_log(server_dsn: str, filled_template: str, run_prefix: str, dropper: Dropper) -> Iterator[str]:
    """A database of this test alone whose log holds a registry's events and whose read models are
    caught up."""
    yield from clone_of(server_dsn, filled_template, run_prefix, dropper)


@pytest.fixture
def exported(registry_log: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    result = run(registry_log, "audit", "export", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    path = tmp_path / "log.ndjson"
    path.write_bytes(result.stdout_bytes)
    return path


def _head_line(dsn: str, monkeypatch: pytest.MonkeyPatch) -> str:
    verified = run(dsn, "audit", "verify", monkeypatch=monkeypatch)
    assert verified.exit_code == 0 and verified.stdout.endswith("ok\n"), verified.output
    assert_no_bar(verified)
    return verified.stdout.splitlines()[0].split("; ")[1]  # "head N <hash>"


def test_export_then_import_gives_the_same_head_and_the_same_read_models(
    registry_log: str, exported: Path, empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_head = _head_line(registry_log, monkeypatch)
    position = int(source_head.split()[1])
    lines = exported.read_bytes().splitlines()
    assert len(lines) == position + 1  # a header, then one line per event

    # A brand-new database: the import migrates it, loads the log, builds the read models.
    imported = run(empty_database_dsn, "audit", "import", str(exported), monkeypatch=monkeypatch)

    assert imported.exit_code == 0, imported.output
    assert f"imported {position} events; {source_head}" in imported.stdout
    assert f"read models built up to position {position}" in imported.stdout
    assert_no_bar(imported)
    assert _head_line(empty_database_dsn, monkeypatch) == source_head
    checked = run(empty_database_dsn, "projections", "rebuild", "--check", monkeypatch=monkeypatch)
    assert checked.exit_code == 0, checked.output
    assert asyncio.run(read_model_rows(empty_database_dsn)) == asyncio.run(read_model_rows(registry_log))


def test_export_writes_only_the_log_to_standard_output(
    registry_log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(registry_log, "audit", "export", "--after", "3", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.splitlines()
    assert lines[0].startswith(b'{"format":"events-ndjson","format_version":1,"after":3,')
    assert lines[1].startswith(b'{"position":4,')
    assert result.stderr == f"exported {len(lines) - 1} events after position 3\n"


def test_export_after_a_position_past_the_head_exits_1(
    registry_log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(registry_log, "audit", "export", "--after", "100000", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "there is no position 100000 to export after" in result.output


def test_import_of_an_altered_file_exits_1_naming_the_line_and_loads_nothing(
    exported: Path, empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = exported.read_bytes().splitlines(keepends=True)
    lines[5] = lines[5].replace(b'"recorded_at":"20', b'"recorded_at":"21', 1)  # a century later
    altered = tmp_path / "altered.ndjson"
    altered.write_bytes(b"".join(lines))
    empty = empty_database_dsn
    result = run(empty, "audit", "import", str(altered), monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "Error: line 6: the hash does not match (position 5)" in result.output
    assert _head_line(empty, monkeypatch) == "head 0 " + "0" * 64


def test_import_into_a_log_with_events_exits_1(
    registry_log: str, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _head_line(registry_log, monkeypatch)
    result = run(registry_log, "audit", "import", str(exported), monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "the log already has" in result.output and "empty" in result.output
    assert _head_line(registry_log, monkeypatch) == before


def test_import_reads_standard_input_given_a_dash(
    exported: Path, empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_dsn)
    result = CliRunner().invoke(main, ["audit", "import", "-"], input=exported.read_bytes())
    assert result.exit_code == 0, result.output
    assert "imported" in result.stdout


def test_rebuild_check_finds_an_altered_read_model_row_and_rebuild_repairs_it(
    registry_log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = run(registry_log, "projections", "rebuild", "--check", monkeypatch=monkeypatch)
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("ok: the read models match a rebuild")
    assert_no_bar(clean)

    asyncio.run(
        run_statements(
            registry_log,
            'UPDATE registry_read.units SET doc = \'{"name":"forged"}\' '
            "WHERE valid_to IS NULL AND id = (SELECT min(id::text)::uuid FROM registry_read.units)",
        )
    )
    tampered = run(registry_log, "projections", "rebuild", "--check", monkeypatch=monkeypatch)
    assert tampered.exit_code == 1, tampered.output
    assert (
        "registry_read.units: 1 row(s) only in the live read model, 1 only in the rebuild" in tampered.stdout
    )
    assert "DIFFERENT" in tampered.stdout

    rebuilt = run(registry_log, "projections", "rebuild", monkeypatch=monkeypatch)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.startswith("read models rebuilt up to position ")
    assert run(registry_log, "projections", "rebuild", "--check", monkeypatch=monkeypatch).exit_code == 0


# -- progress ------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_writes_nothing_elsewhere() -> None:
    terminal, piped = _Terminal(), io.StringIO()
    for stream in (terminal, piped):
        with progress("exporting", 10, file=stream) as advance:
            advance(10)
    assert "exporting" in terminal.getvalue() and "10/10" in terminal.getvalue()
    assert piped.getvalue() == ""


def test_counting_bytes_passes_lines_through_and_reports_bytes() -> None:
    seen: list[int] = []
    lines = [b"abc\n"] * 2500
    assert list(counting_bytes(lines, seen.append)) == lines
    assert seen == [4000, 8000, 10000]


async def test_a_tracked_projection_reports_positions_and_keeps_its_identity() -> None:
    handled: list[int] = []
    seen: list[int] = []

    async def handler(conn: Any, event: RecordedEvent) -> None:
        handled.append(event.position)

    projection = Projection("p", "p_schema", "CREATE TABLE t (x int)", {"t": handler})
    tracked = tracking(projection, seen.append)
    assert (tracked.name, tracked.schema, tracked.schema_hash) == ("p", "p_schema", projection.schema_hash)
    assert tracked.types == ["t"]
    recorded = RecordedEvent(7, "s", 1, "t", {}, "{}", datetime.now(UTC), b"", uuid.uuid4(), 1)
    await tracked.apply(None, [recorded])
    assert (handled, seen) == ([7], [7])


def test_the_cli_draws_a_bar_when_standard_error_is_a_terminal(registry_log: str) -> None:
    """A real terminal (a pty) on standard error: the bar is there, standard output stays clean."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "DATABASE_URL": registry_log, "COLUMNS": "100", "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "audit", "verify"],
        stdout=subprocess.PIPE, stderr=secondary, stdin=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    os.close(secondary)
    drawn = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if not ready:
            if child.poll() is not None:
                break
            continue
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        drawn += chunk
    os.close(primary)
    stdout, _ = child.communicate(timeout=60)
    assert child.returncode == 0, (stdout, drawn)
    assert b"verifying" in drawn and "━".encode() in drawn
    assert stdout.endswith(b"ok\n") and b"\x1b[" not in stdout
