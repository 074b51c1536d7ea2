"""deploy/: the crontab line, the systemd service and its timer are valid, agree, and refresh."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_eutils import FakeEutils
from tests.support.paths import ROOT, need

DEPLOY = ROOT / "deploy"
APP, DATA, ENV_FILE = "/opt/tc-spine-kb", "/var/lib/tc-spine-kb", "/etc/tc-spine-kb/env"
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


@dataclass(frozen=True)
class CronJob:
    """One job line of a crontab: the five time fields, as sets of values, and the command."""

    times: tuple[frozenset[int], ...]
    command: str


def parse_cron_field(text: str, low: int, high: int) -> frozenset[int]:
    """Read one time field (``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n``, lists) as its values."""
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if match is None:
            raise ValueError(f"not a cron field: {part!r}")
        start, end = (low, high) if match[1] == "*" else (int(match[2]), int(match[3] or match[2]))
        step = int(match[4] or 1)
        if not low <= start <= end <= high or step < 1:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_crontab(text: str) -> tuple[dict[str, str], list[CronJob]]:
    """Read a crontab: its environment lines and its jobs; refuse any other line."""
    env: dict[str, str] = {}
    jobs: list[CronJob] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line):
            name, _, value = line.partition("=")
            env[name] = value
            continue
        parts = line.split(None, 5)
        if len(parts) < 6:
            raise ValueError(f"line {number}: five time fields and a command expected")
        try:
            times = tuple(
                parse_cron_field(p, low, high)
                for p, (_, low, high) in zip(parts[:5], FIELDS, strict=True)
            )
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        jobs.append(CronJob(times, parts[5]))
    return env, jobs


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text(encoding="utf-8"))
    return unit


# --- the crontab ---------------------------------------------------------------------------


def test_the_cron_parser_refuses_what_cron_would() -> None:
    for bad in ("61 3 * * * kb refresh", "0 24 * * * kb refresh", "* * 0 * * kb", "0 3 * *"):
        with pytest.raises(ValueError):
            parse_crontab(bad)
    assert parse_cron_field("*/15", 0, 59) == {0, 15, 30, 45}
    assert parse_cron_field("1-5,7", 0, 7) == {1, 2, 3, 4, 5, 7}


def test_the_crontab_runs_kb_refresh_once_a_night_with_kb_home_set() -> None:
    env, jobs = parse_crontab((DEPLOY / "crontab").read_text(encoding="utf-8"))
    [job] = jobs
    minute, hour, day, month, weekday = job.times
    assert (minute, hour) == ({17}, {3})
    assert day == set(range(1, 32)) and month == set(range(1, 13)) and weekday == set(range(8))
    assert re.search(rf"{APP}/\.venv/bin/kb refresh(\s|$)", job.command)
    assert env["KB_HOME"] == DATA and env["SHELL"] == "/bin/sh"


def test_the_crontab_command_reads_the_env_file_and_refreshes(
    fake_eutils: FakeEutils, tmp_path: Path
) -> None:
    fake_eutils.pubmed.add_many(12)
    env, [job] = parse_crontab((DEPLOY / "crontab").read_text(encoding="utf-8"))
    data, env_file = tmp_path / "data", tmp_path / "env"
    data.mkdir()
    env_file.write_text(f"KB_EUTILS_URL={fake_eutils.url}\nNCBI_API_KEY=test-key\n")
    command = (
        job.command.replace(ENV_FILE, str(env_file))
        .replace(APP, str(ROOT))
        .replace(DATA, str(data))
    )
    cron_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env, "KB_HOME": str(data)}
    done = subprocess.run([env["SHELL"], "-c", command], env=cron_env, timeout=120)
    assert done.returncode == 0
    log = (data / "refresh.log").read_text()
    assert log.startswith("refresh completed") and "12 new" in log
    assert (data / "store").is_dir() and len(fake_eutils.requests_to("efetch")) == 1


# --- the systemd units -----------------------------------------------------------------------


def test_the_timer_starts_the_service_at_the_crontab_time() -> None:
    timer = read_unit(DEPLOY / "tc-spine-kb-refresh.timer")
    assert timer["Timer"]["Unit"] == "tc-spine-kb-refresh.service"
    assert timer["Timer"]["OnCalendar"] == "*-*-* 03:17:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_service_runs_kb_refresh_once_and_takes_status_3_as_no_failure() -> None:
    service = read_unit(DEPLOY / "tc-spine-kb-refresh.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"] == f"{APP}/.venv/bin/kb refresh"
    assert service["Environment"] == f"KB_HOME={DATA}"
    assert service["EnvironmentFile"] == f"-{ENV_FILE}"
    assert service["SuccessExitStatus"] == "3"
    assert service["ReadWritePaths"] == DATA  # the only place it writes


def test_the_server_unit_bounds_slow_clients_and_open_files() -> None:
    service = read_unit(DEPLOY / "tc-spine-kb.service")["Service"]
    assert service["ExecStart"].startswith(f"{APP}/.venv/bin/kb serve")
    assert "KB_HEADER_TIMEOUT=" in service["Environment"]
    assert int(service["LimitNOFILE"]) >= 65536
    assert service["ReadWritePaths"] == DATA


def test_systemd_analyze_verifies_the_service_and_the_timer(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    need(analyze is not None, "systemd-analyze (systemd) is not installed")
    assert analyze is not None
    kb = ROOT / ".venv" / "bin" / "kb"
    need(os.access(kb, os.X_OK), f"{kb} is not installed (make setup)")
    names = ("tc-spine-kb-refresh.service", "tc-spine-kb-refresh.timer", "tc-spine-kb.service")
    for name in names:  # the installed paths, pointed at this checkout
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(APP, str(ROOT)))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert not [line for line in said.splitlines() if "tc-spine-kb" in line], said
