"""A scheduled type's timer and service as --tags status reads them, and running one now:
parsed from what systemd 252 answered on a booted host (systemd_252/, see its README)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.scheduled_runs import (
    duration,
    journal_run,
    run_message,
    run_now,
    run_output,
    run_row,
    run_scheduled,
    scheduled_row,
    scheduled_rows,
    signal_name,
    utc_epoch,
)
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import SCHEDULE_PROPERTIES, Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import FakeModule

SAMPLES = os.path.join(os.path.dirname(__file__), "systemd_252")


def sample(name):
    with open(os.path.join(SAMPLES, name)) as handle:
        return handle.read()


def shown(name):
    """{unit: {property: value}} of a `systemctl show` sample, as Systemctl.states reads it."""
    module = FakeModule([(["show"], (0, sample(name), ""))])
    units = [line.split("=", 1)[1] for line in sample(name).splitlines() if line.startswith("Id=")]
    return Systemctl(module).states(units, SCHEDULE_PROPERTIES)


def row(name, process_type, schedule="s"):
    units = shown(name)
    return scheduled_row("shop", process_type, schedule, units.get("shop-%s.timer" % process_type, {}),
                         units.get("shop-%s.service" % process_type, {}))


def test_utc_epoch_reads_systemctls_utc_and_unix_forms_and_nothing_else():
    assert utc_epoch("Tue 2026-12-08 00:33:20 UTC") == 1796690000
    assert utc_epoch("Tue 2026-12-08 00:33:20.123456 UTC") == 1796690000
    assert utc_epoch("@1796690000") == 1796690000
    assert utc_epoch("@1796690000.5") == 1796690000
    # Not UTC: never guessed.
    assert utc_epoch("Tue 2026-12-08 06:03:20 IST") is None
    for none in ("", None, "n/a", "0"):
        assert utc_epoch(none) is None


def test_one_show_call_for_every_timer_and_service_in_utc():
    module = FakeModule([(["show"], (0, sample("show-passed.txt"), ""))])
    answer = Systemctl(module).schedules("shop", ["report"])
    assert module.calls == [["/bin/systemctl", "show", "--property=" + SCHEDULE_PROPERTIES, "--",
                             "shop-report.timer", "shop-report.service"]]
    assert module.environ == {"TZ": "UTC0"}
    assert answer["report"]["timer"]["NextElapseUSecRealtime"] == "Tue 2026-12-08 00:33:35 UTC"
    assert answer["report"]["service"]["Result"] == "success"
    # No scheduled type: no call.
    assert Systemctl(module).schedules("shop", []) == {} and len(module.calls) == 1


def test_a_failed_show_is_an_empty_report_not_a_failure():
    module = FakeModule([(["show"], (1, "", "Failed to connect to bus"))])
    assert Systemctl(module).schedules("shop", ["report"]) == {
        "report": {"timer": {}, "service": {}}}


def test_a_passed_run():
    assert row("show-passed.txt", "report", "*:*:0/5") == dict(
        type="report", timer="shop-report.timer", service="shop-report.service",
        schedule="*:*:0/5", state="waiting", timer_state="active/waiting", enabled="enabled",
        last_start=1796690010, last_end=1796690011, duration=1.01, result="success",
        exit_code=0, signal=None, next_run=1796690015, health="passing",
        invocation_id="cf1a95d8680046d7a94a7064dc82a0ef")


def test_a_failed_run_is_failing_with_its_exit_status():
    r = row("show-failed.txt", "report")
    assert (r["state"], r["result"], r["exit_code"], r["signal"], r["health"]) == \
        ("waiting", "exit-code", 3, None, "failing")
    assert (r["last_start"], r["last_end"], r["duration"], r["next_run"]) == \
        (1796690005, 1796690006, 1.012, 1796690010)


def test_a_run_going_is_running_with_no_result_and_no_next_run():
    r = row("show-running.txt", "slow")
    assert (r["state"], r["timer_state"], r["health"], r["result"], r["exit_code"]) == \
        ("running", "active/running", "running", None, None)
    assert (r["last_start"], r["last_end"], r["duration"], r["next_run"]) == (1796690000, None, None, None)
    # Beside it, report's last run passed.
    assert row("show-running.txt", "report")["health"] == "passing"


def test_a_stopped_timer_is_inactive_and_a_type_never_run_has_no_health():
    r = row("show-running.txt", "paused", "0 3 * * 1-5")
    assert (r["state"], r["enabled"], r["last_start"], r["next_run"], r["result"], r["health"],
            r["invocation_id"]) == ("inactive", "disabled", None, None, None, None, None)


def test_after_a_reboot_the_last_run_is_the_timers_last_trigger_result_unknown():
    r = row("show-after-reboot.txt", "daily")
    assert (r["last_start"], r["last_end"], r["duration"], r["result"], r["health"]) == \
        (1796689800, None, None, None, None)
    assert (r["state"], r["next_run"]) == ("waiting", 1796689920)
    # A paused type after the reboot: nothing known.
    r = row("show-after-reboot.txt", "slow")
    assert (r["state"], r["last_start"], r["health"]) == ("inactive", None, None)


@pytest.mark.parametrize("name, result, sig", [("show-killed.txt", "signal", "KILL"),
                                               ("show-timeout.txt", "timeout", "TERM")])
def test_a_run_ended_by_a_signal_names_it_and_unix_times_are_read(name, result, sig):
    r = row(name, "slow")
    assert (r["result"], r["exit_code"], r["signal"], r["health"]) == (result, None, sig, "failing")
    assert r["last_start"] is not None and r["last_end"] >= r["last_start"]
    assert r["duration"] == {"show-killed.txt": 2.0, "show-timeout.txt": 2.2}[name]


def test_duration_needs_both_ends():
    assert duration({"ExecMainStartTimestampMonotonic": "100", "ExecMainExitTimestampMonotonic": "0"}) is None
    assert duration({}) is None
    assert duration({"ExecMainStartTimestampMonotonic": "1000000",
                     "ExecMainExitTimestampMonotonic": "3500000"}) == 2.5


def test_signal_names():
    assert (signal_name(9), signal_name(15), signal_name(999)) == ("KILL", "TERM", "999")


def test_rows_sorted_by_type_from_one_call():
    module = FakeModule([(["show"], (0, sample("show-running.txt"), ""))])
    rows = scheduled_rows(Systemctl(module), "shop", {"slow": {"schedule": "*:*:0/10"},
                                                      "report": {"schedule": "*:*:0/5"},
                                                      "paused": {}})
    assert [(r["type"], r["schedule"], r["state"]) for r in rows] == [
        ("paused", None, "inactive"), ("report", "*:*:0/5", "waiting"), ("slow", "*:*:0/10", "running")]
    assert len(module.calls) == 1
    assert scheduled_rows(Systemctl(module), "shop", {}) == [] and len(module.calls) == 1


def test_the_run_a_start_waited_for_is_the_first_start_job_that_ended():
    """A failed run, then the timer's next run (passed): the first is the start's."""
    run = journal_run(sample("journal-report-runs.json"))
    assert run == dict(invocation_id="e4fc55604426452d835121f94100a3eb", result="exit-code",
                       exit_code=3, signal=None, start=1796690115, end=1796690116, duration=1.007)


def test_a_killed_run_from_the_journal():
    run = journal_run(sample("journal-slow-killed.json"))
    assert (run["result"], run["exit_code"], run["signal"]) == ("signal", None, "KILL")


def test_no_start_job_ended_is_no_run():
    assert journal_run("") is None
    assert journal_run('not json\n{"JOB_TYPE": "start", "INVOCATION_ID": "x"}\n') is None


def test_the_runs_own_result_wins_when_the_timer_started_another_since():
    now = row("show-running.txt", "report")
    run = journal_run(sample("journal-report-runs.json"))
    mine = run_row(now, run)
    assert (mine["invocation_id"], mine["result"], mine["exit_code"], mine["health"],
            mine["duration"]) == (run["invocation_id"], "exit-code", 3, "failing", 1.007)
    # The same run: the row as systemd shows it.
    assert run_row(now, dict(run, invocation_id=now["invocation_id"])) is now
    assert run_row(now, None) is now


def test_run_now_starts_the_service_and_reads_its_run_from_the_journal():
    journal = sample("journal-report-runs.json")
    module = FakeModule([
        (["start"], (1, "", sample("start-timeout.stderr"))),
        (["--no-pager", "--unit=shop-report.service"], (0, journal, "")),
        (["--no-pager", "--output=cat"], (0, "run 302\nfailing\nprocfile: run ended, exit status 3\n", "")),
        (["show"], (0, sample("show-failed.txt"), "")),
    ])
    rc, r, output, said = run_now(module, Systemctl(module), "shop", "report")
    assert rc == 1 and output == ["run 302", "failing"] and said.startswith("Job for")
    assert module.calls[0] == ["/bin/systemctl", "start", "--", "shop-report.service"]
    assert module.calls[1] == ["/bin/journalctl", "--sync"]
    assert module.calls[2][:3] == ["/bin/journalctl", "--no-pager", "--unit=shop-report.service"]
    assert module.calls[2][3].startswith("--since=@")
    assert module.calls[-1] == ["/bin/journalctl", "--no-pager", "--output=cat",
                                "_SYSTEMD_INVOCATION_ID=e4fc55604426452d835121f94100a3eb"]
    assert (r["result"], r["exit_code"]) == ("exit-code", 3)
    assert run_message("shop", r, rc) == \
        "shop report (shop-report.service): failed (exit-code, exit status 3)"


def test_run_message():
    passed = row("show-passed.txt", "report")
    assert run_message("shop", passed, 0) == "shop report (shop-report.service): ran, success in 1.01 s"
    assert run_message("shop", row("show-killed.txt", "slow"), 1) == \
        "shop slow (shop-slow.service): failed (signal, signal KILL)"
    assert run_message("shop", row("show-after-reboot.txt", "slow"), 1) == \
        "shop slow (shop-slow.service): failed (systemctl start rc 1)"


SCAN = {"report": {"timer": "/u/shop-report.timer", "service": "/u/shop-report.service",
                   "schedule": "*/5 * * * *"},
        # An interrupted removal left the service only: not scheduled here.
        "old": {"service": "/u/shop-old.service"}}


def test_a_type_without_its_timer_on_the_host_runs_nothing():
    module = FakeModule()
    result, failed = run_scheduled(module, Systemctl(module), "shop", "old", SCAN)
    assert not failed and module.calls == []
    assert result == dict(changed=False, ran=False, here=False, scheduled=["report"],
                          msg="old is not a scheduled type of shop on this host (scheduled here: report)")
    result, _failed = run_scheduled(module, Systemctl(module), "shop", "report", {})
    assert result["msg"].endswith("(scheduled here: none)")


def test_check_mode_says_what_would_run_and_runs_nothing():
    module = FakeModule(check_mode=True)
    result, failed = run_scheduled(module, Systemctl(module), "shop", "report", SCAN)
    assert not failed and module.calls == []
    assert (result["changed"], result["ran"], result["here"], result["service"]) == \
        (True, False, True, "shop-report.service")
    assert result["msg"] == "shop report (shop-report.service): would run now (check mode: not run)"


def test_a_run_that_passed_and_one_that_failed():
    second_run = sample("journal-report-runs.json").split("\n", 6)[6]
    passed = FakeModule([
        (["--no-pager", "--unit=shop-report.service"], (0, second_run, "")),
        (["--no-pager", "--output=cat"], (0, "run 305\nok\nprocfile: run ended, exit status 0\n", "")),
        (["show"], (0, sample("show-passed.txt"), "")),
    ])
    result, failed = run_scheduled(passed, Systemctl(passed), "shop", "report", SCAN)
    assert not failed and result["ran"] and result["rc"] == 0 and "systemctl" not in result
    assert result["output"] == ["run 305", "ok"]
    assert result["run"]["invocation_id"] == "3a2db890729540cdb18a843accaf5a41"
    assert result["msg"].startswith("shop report (shop-report.service): ran, success in ")
    failed_module = FakeModule([(["start"], (1, "", sample("start-killed.stderr")))])
    result, failed = run_scheduled(failed_module, Systemctl(failed_module), "shop", "report", SCAN)
    assert failed and result["rc"] == 1 and result["output"] == []
    assert result["systemctl"].startswith("Job for shop-slow.service failed because a fatal signal")
    assert result["msg"] == "shop report (shop-report.service): failed (systemctl start rc 1)"


class ArrivingJournal(FakeModule):
    """The journal's answer for the run's output: the lines that journald has read so far,
    one more line each time it is asked (the stream's end line last)."""

    def __init__(self, lines):
        FakeModule.__init__(self)
        self.lines, self.shown = lines, 0

    def run_command(self, argv, check_rc=False, environ_update=None):
        self.calls.append(argv)
        if "--output=cat" in argv:
            self.shown = min(self.shown + 1, len(self.lines))
            return 0, "".join(line + "\n" for line in self.lines[:self.shown]), ""
        return 0, "", ""


def test_the_output_is_read_once_the_runs_last_line_has_arrived():
    module = ArrivingJournal(["first", "second", "procfile: run ended, exit status 3"])
    assert run_output(module, "abc", interval=0.001) == ["first", "second"]
    reads = [c for c in module.calls if "--output=cat" in c]
    assert len(reads) == 3
    # Each read after the first comes after a --sync.
    assert module.calls[1] == ["/bin/journalctl", "--sync"]


def test_without_the_last_line_the_output_is_what_arrived_by_the_deadline():
    module = ArrivingJournal(["killed before its end"])
    assert run_output(module, "abc", deadline=0.05, interval=0.01) == ["killed before its end"]
    # A line of the app's own that looks almost like the end line is output, not the end.
    module = ArrivingJournal(["procfile: run ended, exit status x"])
    assert run_output(module, "abc", deadline=0.02, interval=0.01) == ["procfile: run ended, exit status x"]
