"""Scheduled process types (#31): app cron's only type, tick, runs from a systemd timer on
one server of two (plays/schedule.yml, files/cron). Each run appends
"<host> <pid> <start> <end> DYNO=... PORT=..." to /var/lib/cron-runs/runs on its server,
or "<host> <pid> <start> stopped" to .../stopped when it gets the stop signal first.

The tests run in this order, each from where the one before left the app. No test times
anything: they wait for runs to appear (generous deadlines) and compare the runs' own
start and end times with each other, never with a duration."""

import difflib
import time

from procfile_testlib import host_snapshot, playbook, props, recap, sandbox, wait_for

WEB = ("fleet-web-1", "fleet-web-2")
RUNS = "/var/lib/cron-runs/runs"
STOPPED = "/var/lib/cron-runs/stopped"
UNITS = ("/etc/systemd/system/cron-tick.timer", "/etc/systemd/system/cron-tick.service")
STAMP = "/var/lib/systemd/timers/stamp-cron-tick.timer"
EVERY_2S = {"schedule": "*:*:0/2"}
DEADLINE = 90


def deploy(check=True, *args, **extra):
    return playbook("schedule.yml", *args, check=check, **extra)


def runs(host):
    """[(host, pid, start, end, rest)] of the completed runs on HOST, in file order."""
    found = []
    for line in host.run("cat %s 2>/dev/null || true" % RUNS).stdout.splitlines():
        words = line.split()
        found.append((words[0], int(words[1]), float(words[2]), float(words[3]), words[4:]))
    return found


def stopped(host):
    return host.run("cat %s 2>/dev/null || true" % STOPPED).stdout.splitlines()


def has_units(host):
    return [path for path in UNITS if host.file(path).exists]


def now(host):
    return float(host.check_output("date +%s.%N"))


def test_the_timer_is_on_exactly_one_of_two_servers(fleet):
    one, two = fleet[WEB[0]], fleet[WEB[1]]
    for host in (one, two):
        host.run("rm -f %s %s" % (RUNS, STOPPED))
    _rc, out = deploy(tick_settings=EVERY_2S)
    assert has_units(one) == list(UNITS)
    assert has_units(two) == [], "schedule_on: first puts the timer on the play's first host only"
    assert wait_for(lambda: len(runs(one)) >= 3, timeout=DEADLINE), runs(one)
    assert runs(two) == []
    timer = props(one, "cron-tick.timer", "ActiveState", "UnitFileState")
    assert timer == {"ActiveState": "active", "UnitFileState": "enabled"}
    for host, _pid, start, end, rest in runs(one):
        assert host == "fleet-web-1" and end >= start
        # A scheduled run is no instance: no PORT, a DYNO of its own.
        assert rest == ["DYNO=tick.scheduled", "PORT=none"], rest
    # Nothing numbered: no template unit, no instance of tick.
    assert not one.file("/etc/systemd/system/cron-tick@.service").exists
    assert "fleet-web-1: cron: tick=timer" in out, out[-3000:]
    # A second run changes nothing.
    _rc, again = deploy(tick_settings=EVERY_2S)
    assert all(c["changed"] == 0 for c in recap(again).values()), again[-3000:]


def test_a_limited_run_keeps_the_timer_of_first_where_it_is(fleet):
    """Under --limit the play's first host need not be the fleet's: each host keeps what
    it has, with a warning, so that a run limited to web-2 does not start a second timer."""
    one, two = fleet[WEB[0]], fleet[WEB[1]]
    _rc, out = deploy(True, "--limit", "fleet-web-2", tick_settings=EVERY_2S)
    assert "its timer stays where it is" in out, out[-3000:]
    assert has_units(two) == [] and has_units(one) == list(UNITS)
    # Where the timer is, a limited run updates it.
    deploy(True, "--limit", "fleet-web-1", tick_settings={"schedule": "*:*:0/3"})
    assert "OnCalendar=*:*:0/3\n" in one.file(UNITS[0]).content_string
    assert has_units(two) == []


def test_schedule_on_moves_the_timer_and_a_dropped_schedule_removes_it(fleet):
    one, two = fleet[WEB[0]], fleet[WEB[1]]
    # --check --diff tells the move: the new host's two files, the old host's timer going.
    _rc, out = deploy(True, "--check", "--diff", tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"))
    assert "+++ after: /etc/systemd/system/cron-tick.timer" in out and "+OnCalendar=*:*:0/2" in out, out[-3000:]
    assert "+++ after: /etc/systemd/system/cron-tick.service" in out, out[-3000:]
    assert "-scheduled tick (cron-tick.timer)" in out, out[-3000:]
    assert has_units(one) == list(UNITS) and has_units(two) == []
    deploy(tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"))
    assert has_units(one) == [] and has_units(two) == list(UNITS)
    # The old host's last-run stamp went with its timer: scheduling tick there again later
    # does not run it at once for the runs it "missed".
    assert not one.file(STAMP).exists
    assert wait_for(lambda: len(runs(two)) >= 2, timeout=DEADLINE), runs(two)
    before = len(runs(one))
    assert wait_for(lambda: len(runs(two)) >= 4, timeout=DEADLINE)
    assert len(runs(one)) == before, "the old host still runs tick"

    # Without its schedule, tick is a process type again (none of it wanted here).
    deploy(tick_settings={}, tick_count=0)
    for host in (one, two):
        assert has_units(host) == []
        assert not host.file(STAMP).exists
        assert host.run("systemctl is-active cron-tick.timer").stdout.strip() != "active"
    deploy(tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"))
    assert has_units(two) == list(UNITS)


def test_a_run_longer_than_its_interval_never_overlaps_the_next(fleet):
    two = fleet[WEB[1]]
    done = len(runs(two))
    # Each run takes 5 s; the schedule says every 2 s.
    deploy(tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"), job_seconds=5)

    def long_runs():
        return [r for r in runs(two)[done:] if r[3] - r[2] >= 4]
    assert wait_for(lambda: len(long_runs()) >= 3, timeout=DEADLINE), runs(two)[done:]
    ordered = sorted(runs(two)[done:], key=lambda r: r[2])
    for previous, following in zip(ordered, ordered[1:]):
        # systemd does not start a timer's service again while it runs: the ticks missed
        # meanwhile become one run after it, never a second run beside it.
        assert following[2] >= previous[3], (previous, following)
    assert len(set(r[1] for r in ordered)) == len(ordered)


def test_pause_stops_the_running_job_and_runs_nothing_until_resume(fleet):
    two = fleet[WEB[1]]
    # A run is going (5 s each, back to back).
    assert wait_for(lambda: props(two, "cron-tick.service", "ActiveState")["ActiveState"] == "activating",
                    timeout=DEADLINE)
    stopped_before = len(stopped(two))
    playbook("schedule.yml", "--tags", "pause")
    # The running job got its stop signal (the timer's stop alone would have left it running).
    assert len(stopped(two)) == stopped_before + 1, stopped(two)
    assert props(two, "cron-tick.timer", "ActiveState", "UnitFileState") == {
        "ActiveState": "inactive", "UnitFileState": "disabled"}
    assert props(two, "cron-tick.service", "ActiveState")["ActiveState"] == "inactive"
    count = len(runs(two))
    # Four intervals of the schedule (2 s) pass with nothing run.
    time.sleep(8)
    assert len(runs(two)) == count, runs(two)[count:]
    assert props(two, "cron-tick.service", "ActiveState")["ActiveState"] == "inactive"
    # A deploy while paused changes the units and starts nothing.
    deploy(tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"), job_seconds=0)
    assert props(two, "cron-tick.timer", "ActiveState")["ActiveState"] == "inactive"
    playbook("schedule.yml", "--tags", "resume")
    assert props(two, "cron-tick.timer", "ActiveState", "UnitFileState") == {
        "ActiveState": "active", "UnitFileState": "enabled"}
    assert wait_for(lambda: len(runs(two)) >= count + 2, timeout=DEADLINE), runs(two)[count:]


def test_a_run_due_while_the_server_was_off_runs_once_after_boot(fleet):
    two = fleet[WEB[1]]
    # Six ticks two seconds apart, in one minute, the first at least 30 s from now (the
    # deploy and the poweroff come first): all of them fall while the server is off, and
    # the schedule has no other tick for a day.
    first = int(now(two)) + 30
    if first % 60 > 49:
        first += 60 - first % 60
    last = first + 10
    hhmm = two.check_output("date -d @%d +%%H:%%M" % first)
    seconds = ",".join("%02d" % (first % 60 + n) for n in range(0, 11, 2))
    deploy(tick_settings={"schedule": "*-*-* %s:%s" % (hhmm, seconds), "schedule_on": "fleet-web-2"})
    assert props(two, "cron-tick.timer", "ActiveState")["ActiveState"] == "active"
    assert [r for r in runs(two) if r[2] >= first] == []
    sandbox("poweroff", WEB[1])
    # The host's clock is this machine's (containers share the kernel's).
    while time.time() < last + 2:
        time.sleep(0.5)
    sandbox("start", WEB[1])
    two.run("systemctl is-system-running --wait")
    assert wait_for(lambda: [r for r in runs(two) if r[2] >= first], timeout=DEADLINE), runs(two)[-3:]
    caught_up = [r for r in runs(two) if r[2] >= first]
    # Once for the six missed ticks, after the boot; and nothing more is due today.
    time.sleep(6)
    assert [r for r in runs(two) if r[2] >= first] == caught_up
    assert len(caught_up) == 1, caught_up
    assert caught_up[0][2] > last


def test_a_bad_calendar_or_cron_expression_is_refused_naming_the_variable(fleet):
    two = fleet[WEB[1]]

    def state():
        # The locks' directory under /run (a tmpfs, empty since the boot above) is made by
        # the first run that takes the app's lock, a refused one too: no state of the app.
        return "\n".join(line for line in host_snapshot(two).splitlines()
                         if not line.startswith("/run/procfile-systemd "))
    snapshot = state()
    for schedule, why in (("bogus", "systemd cannot parse"),
                          ("*-02-30 00:00", "never elapses"),
                          ("61 * * * *", "out of range"),
                          ("0 0 30 2 *", "never happens")):
        rc, out = deploy(False, tick_settings={"schedule": schedule, "schedule_on": "fleet-web-2"})
        assert rc != 0, out[-3000:]
        assert "procfile_process_settings['tick'].schedule" in out, out[-3000:]
        assert why in out, (schedule, out[-3000:])
    after = state()
    assert after == snapshot, "\n".join(difflib.unified_diff(snapshot.splitlines(), after.splitlines(), lineterm=""))


def status_rows(out):
    """The scheduled section of --tags status: {(type, host): [columns...]}."""
    lines = out.splitlines()
    starts = [i for i, line in enumerate(lines) if line.split()[:3] == ["TYPE", "HOST", "SCHEDULE"]]
    assert len(starts) == 1, out[-3000:]
    rows = {}
    for line in lines[starts[0] + 1:]:
        words = line.split()
        if len(words) < 4 or words[0] != "tick":
            break
        rows[(words[0], words[1])] = words
    return rows


def an_hour_from_now(host):
    """A daily schedule an hour away: no scheduled run during the test."""
    return {"schedule": "*-*-* %s:00" % host.check_output("date -d @%d +%%H:%%M" % (now(host) + 3600)),
            "schedule_on": "fleet-web-2"}


def test_run_type_runs_it_now_and_status_shows_last_and_next_run_and_failing(fleet):
    one, two = fleet[WEB[0]], fleet[WEB[1]]
    # Daily, an hour from now: no scheduled run during this test, only those it asks for.
    daily = an_hour_from_now(two)
    deploy(tick_settings=daily, job_exit=3)
    before, elsewhere = len(runs(two)), len(runs(one))
    # A failing run fails the play, with its output (read once all of it is in the journal).
    rc, out = playbook("schedule.yml", "--tags", "run", check=False, procfile_run_type="tick")
    assert rc != 0 and "tick ran on fleet-web-2 as tick.scheduled" in out, out[-3000:]
    assert "failed (exit-code, exit status 3) on fleet-web-2" in out, out[-3000:]
    # It ran on the timer's host, through its unit, once.
    assert len(runs(two)) == before + 1 and len(runs(one)) == elsewhere
    _rc, out = playbook("schedule.yml", "--tags", "status")
    rows = status_rows(out)
    assert list(rows) == [("tick", "fleet-web-2")], out[-3000:]
    row = rows[("tick", "fleet-web-2")]
    assert row[2:4] == daily["schedule"].split() and row[-1] == "failing", row
    assert "exit-code" in row and "3" in row, row
    # The next run: the time the schedule names, an hour from now.
    assert row[-2] == daily["schedule"].split()[1], row
    # Succeeding again: passing.
    deploy(tick_settings=daily, job_exit=0)
    _rc, out = playbook("schedule.yml", "--tags", "run", procfile_run_type="tick")
    assert "tick ran on fleet-web-2 as tick.scheduled" in out, out[-3000:]
    row = status_rows(playbook("schedule.yml", "--tags", "status")[1])[("tick", "fleet-web-2")]
    assert row[-1] == "passing" and "success" in row, row
    # --tags logs of the type: its runs, each with the wrapper's last line.
    _rc, out = playbook("schedule.yml", "--tags", "logs", procfile_log_type="tick", procfile_log_lines=20)
    assert "tick ran on fleet-web-2 as tick.scheduled" in out, out[-3000:]
    assert "procfile: run ended, exit status 3" in out and "procfile: run ended, exit status 0" in out, out[-3000:]
    # A type that is not scheduled anywhere is refused, naming the variable; nothing ran.
    rc, out = playbook("schedule.yml", "--tags", "run", check=False, procfile_run_type="web")
    assert rc != 0 and "procfile_run_type web" in out, out[-3000:]
    assert len(runs(two)) == before + 2 and len(runs(one)) == elsewhere


def test_remove_leaves_no_timer_service_stamp_or_run(fleet):
    deploy(tick_settings=dict(EVERY_2S, schedule_on="fleet-web-2"), job_seconds=5)
    two = fleet[WEB[1]]
    assert wait_for(lambda: props(two, "cron-tick.service", "ActiveState")["ActiveState"] == "activating",
                    timeout=DEADLINE)
    playbook("schedule.yml", "--tags", "remove", procfile_remove_confirm="cron")
    for name in WEB:
        host = fleet[name]
        assert has_units(host) == []
        assert not host.file(STAMP).exists
        listed = host.check_output("systemctl list-units --all --plain --no-legend 'cron-*' 'cron.target'")
        assert listed.strip() == "", listed
    count = len(runs(two))
    time.sleep(5)
    assert len(runs(two)) == count
    # The fleet app beside it is untouched.
    assert props(two, "fleet-web@1.service", "ActiveState")["ActiveState"] == "active"
