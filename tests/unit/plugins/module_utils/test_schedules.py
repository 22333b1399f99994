"""Scheduled types on one host (#31): which timers a host keeps, the calendar check by the
real systemd-analyze, and the systemctl steps of apply and remove against a fake systemd."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import schedules
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import FakeSystemd, HostModule


def scanned(unit_dir, *types, timer=True):
    """An app's scan_owned_units entry with units of TYPES (their timers unless not TIMER)."""
    found = {}
    for t in types:
        found[t] = {"service": "%s/shop-%s.service" % (unit_dir, t)}
        if timer:
            found[t].update(timer="%s/shop-%s.timer" % (unit_dir, t), schedule="hourly")
    return {"templates": {}, "target": None, "scheduled": found, "other": []}


def test_which_timers_a_host_keeps_and_which_go():
    mine = scanned("/u", "report", "moved", "dropped")
    wanted = {"report": True, "moved": False, "new": True, "limited": None}
    assert schedules.kept(wanted, mine) == ["new", "report"]
    # moved: its host is another now; dropped: no longer scheduled (or no longer in the Procfile).
    assert schedules.leaving(wanted, mine) == ["dropped", "moved"]
    # A limited run keeps what each host has: a timer where there is one, none elsewhere.
    assert schedules.kept({"report": None}, mine) == ["report"]
    assert schedules.leaving({"report": None}, mine) == ["dropped", "moved"]
    assert schedules.kept({"report": None}, scanned("/u")) == []
    # A service left without its timer (an interrupted run) is not a timer to keep.
    assert schedules.kept({"report": None}, scanned("/u", "report", timer=False)) == []
    assert schedules.leaving({}, {"templates": {}}) == []


ANALYZE = shutil.which("systemd-analyze")


def timer_file(process_type, calendar, written=None):
    return {"path": "/u/shop-%s.timer" % process_type, "type": process_type, "scheduled": True,
            "content": "[Unit]\nX-ProcfileSchedule=%s\n[Timer]\nOnCalendar=%s\n" % (written or calendar, calendar)}


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_calendar_check_asks_systemd_and_names_the_variable():
    files = [timer_file("ok", "hourly"), timer_file("cron", "*-*-* *:00/15:00", "*/15 * * * *"),
             timer_file("bad", "bogus"), timer_file("never", "*-02-30 00:00"),
             timer_file("late", "25:00"),
             {"path": "/u/shop-ok.service", "type": "ok", "content": "OnCalendar=bogus\n"}]
    assert schedules.calendar_problems(HostModule(), files) == [
        "procfile_process_settings['bad'].schedule 'bogus': systemd cannot parse 'bogus' as a calendar "
        "expression (see systemd.time(7), e.g. hourly, *-*-* 03:00:00, Mon..Fri 09:00, *:0/5)",
        "procfile_process_settings['late'].schedule '25:00': systemd cannot parse '25:00' as a calendar "
        "expression (see systemd.time(7), e.g. hourly, *-*-* 03:00:00, Mon..Fri 09:00, *:0/5)",
        "procfile_process_settings['never'].schedule '*-02-30 00:00': '*-02-30 00:00' never elapses "
        "(systemd-analyze calendar: next elapse never); the job would never run",
    ]
    assert schedules.calendar_problems(HostModule(), files[:2]) == []
    assert schedules.calendar_problems(HostModule(), []) == []


def test_the_check_asks_nothing_without_a_timer():
    module = FakeSystemd({})
    assert schedules.calendar_problems(module, [{"path": "/u/shop-web@.service", "content": "x"}]) == []
    assert module.calls == []


def host(loaded=None, show=None):
    module = FakeSystemd(loaded or {}, show=show or {})
    return module, Systemctl(module)


def test_apply_enables_and_starts_new_timers_and_removes_the_leaving(tmp_path):
    unit_dir = str(tmp_path)
    mine = scanned(unit_dir, "report", "moved")
    for files in mine["scheduled"].values():
        for key in ("timer", "service"):
            open(files[key], "w").close()
    module, systemctl = host(show={
        "shop-report.timer": {"ActiveState": "active", "UnitFileState": "enabled"},
        "shop-new.timer": {"ActiveState": "inactive", "UnitFileState": "disabled"},
        "shop-moved.timer": {"ActiveState": "active", "UnitFileState": "enabled"},
        "shop-moved.service": {"ActiveState": "activating", "UnitFileState": "static"}})
    todo = schedules.plan(systemctl, "shop", {"report": True, "new": True, "moved": False}, mine, False)
    assert todo == {"timers": ["new", "report"], "enable": ["shop-new.timer"], "start": ["shop-new.timer"],
                    "remove": ["moved"], "stop": ["shop-moved.timer", "shop-moved.service"],
                    "disable": ["shop-moved.timer"],
                    "files": [unit_dir + "/shop-moved.service", unit_dir + "/shop-moved.timer"],
                    "clean": ["shop-moved.timer"]}
    schedules.remove_units(systemctl, todo)
    # The timer stops before its running job; the stamp goes while the timer is loaded,
    # then the files, then systemd forgets them.
    assert module.calls == [["stop", "--", "shop-moved.timer"], ["stop", "--", "shop-moved.service"],
                            ["disable", "--quiet", "--", "shop-moved.timer"],
                            ["clean", "--what=state", "--", "shop-moved.timer"], ["daemon-reload"],
                            ["reset-failed", "--", "shop-moved.service"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop-report.service", "shop-report.timer"]


def test_a_paused_app_gets_its_timers_installed_but_not_started(tmp_path):
    _module, systemctl = host(show={"shop-new.timer": {"ActiveState": "inactive", "UnitFileState": "disabled"}})
    todo = schedules.plan(systemctl, "shop", {"new": True}, scanned(str(tmp_path)), True)
    assert (todo["timers"], todo["enable"], todo["start"], todo["remove"]) == (["new"], [], [], [])


def test_nothing_scheduled_asks_systemd_nothing():
    module, systemctl = host()
    assert schedules.plan(systemctl, "shop", {}, {"templates": {}}, False) == {
        "timers": [], "enable": [], "start": [], "remove": [], "stop": [], "disable": [], "files": [],
        "clean": []}
    assert module.calls == []
