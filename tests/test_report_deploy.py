"""cron, systemd and GitHub Actions all run the one entry point, ``mdvax report --update``."""

from __future__ import annotations

import configparser
from pathlib import Path

import yaml

from mdvax.cli import build_parser

REPO = Path(__file__).resolve().parents[1]

COMMAND = "mdvax report --update --out"


def test_crontab_line_runs_the_report_daily():
    lines = (REPO / "deploy" / "mdvax-report.cron").read_text().splitlines()
    entries = [
        line for line in lines if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(entries) == 1
    minute, hour, dom, month, dow, user, *command = entries[0].split()
    assert (minute, hour, dom, month, dow) == ("30", "17", "*", "*", "*")
    assert user == "mdvax"
    assert COMMAND in " ".join(command)
    assert "CRON_TZ=UTC" in lines


def test_systemd_timer_starts_the_oneshot_service():
    units = {}
    for name in ("mdvax-report.service", "mdvax-report.timer"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(REPO / "deploy" / "systemd" / name)
        units[name] = parser
    service = units["mdvax-report.service"]["Service"]
    assert service["Type"] == "oneshot"
    assert COMMAND in service["ExecStart"]
    timer = units["mdvax-report.timer"]
    assert timer["Timer"]["OnCalendar"] == "*-*-* 17:30:00 UTC"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_workflow_is_scheduled_and_publishes_reports():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "daily-report.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["schedule"] == [{"cron": "30 17 * * *"}]
    steps = workflow["jobs"]["report"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "mdvax report --update --out reports" in runs
    assert "git push origin gh-pages" in runs


def test_cli_lists_the_report_options():
    help_text = build_parser()._subparsers._group_actions[0].choices["report"].format_help()
    for option in ("--date", "--out", "--update", "--backfill", "--measure", "--counts"):
        assert option in help_text
