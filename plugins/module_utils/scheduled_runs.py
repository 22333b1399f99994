# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scheduled type's timer and service as --tags status shows them, and running one now
(--tags run -e procfile_run_type=<type>).

What systemd 252 says of them (verified on a booted host, see the unit tests' samples):
the service (Type=oneshot) keeps its last run's ExecMain* and Result until the next run
starts, and while a run goes they describe that run (Result=success, no exit time); the
timer has no next elapse while its service runs or while it is stopped (a paused app);
after a reboot the service has no ExecMain* until its first run, while the timer still
knows its last trigger (Persistent=true keeps it in a stamp file).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import re
import signal
import time

from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.units import scheduled_name, timer_name

# systemctl's format of a time, under TZ=UTC0: "Tue 2026-12-08 00:28:55 UTC" (a fraction
# of a second with --timestamp=us); "@1796689735" with --timestamp=unix (systemd 251+).
_TIME_RE = re.compile(r"^(?:[A-Za-z]{3} )?(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)? (UTC|GMT)$")
_EPOCH_RE = re.compile(r"^@(\d+)(?:\.\d+)?$")
# ExecMainCode: how the main process ended (siginfo's si_code).
CLD_EXITED = 1
RUNNING_STATES = ACTIVE_STATES + ("deactivating",)


def utc_epoch(text):
    """A time as systemctl prints it in UTC, in whole seconds since the epoch; None for
    none ('', 'n/a') or a time in another zone (never guessed)."""
    text = (text or "").strip()
    epoch = _EPOCH_RE.match(text)
    if epoch:
        return int(epoch.group(1))
    match = _TIME_RE.match(text)
    if not match:
        return None
    return calendar.timegm(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def signal_name(number):
    """'KILL' for 9: the host's name of a signal (the module runs on the host), else the number."""
    try:
        return signal.Signals(number).name[3:]
    except ValueError:
        return str(number)


def duration(service):
    """Seconds from the run's start to its end (monotonic, to the millisecond), or None."""
    start = _int(service.get("ExecMainStartTimestampMonotonic")) or 0
    end = _int(service.get("ExecMainExitTimestampMonotonic")) or 0
    if start <= 0 or end < start:
        return None
    return round((end - start) / 1e6, 3)


def scheduled_row(app, process_type, schedule, timer, service):
    """One row of status["scheduled"]: TIMER's and SERVICE's properties (systemctl show
    of SCHEDULE_PROPERTIES, times in UTC) as data. See procfile_status' RETURN."""
    timer_active = timer.get("ActiveState", "")
    service_active = service.get("ActiveState", "")
    running = service_active in RUNNING_STATES
    started = utc_epoch(service.get("ExecMainStartTimestamp"))
    # After a reboot the service knows no run until its next one; the timer's last trigger
    # is when the last scheduled run started (its result is not known).
    last_start = started if started is not None else utc_epoch(timer.get("LastTriggerUSec"))
    # A result only for a run the service knows of, and not while it goes (then its Result
    # is a fresh "success"); a unit that failed without starting a process (a start limit,
    # a missing user) has a result too.
    known = not running and (started is not None or service_active == "failed")
    result = (service.get("Result") or None) if known else None
    code, status = _int(service.get("ExecMainCode")), _int(service.get("ExecMainStatus"))
    exited = known and started is not None and code is not None and code > 0
    if running:
        health = "running"
    elif not known:
        health = None
    else:
        health = "passing" if result == "success" and service_active != "failed" else "failing"
    if running:
        state = "running"
    elif timer_active != "active":
        state = "inactive"
    else:
        state = "waiting"
    return dict(
        type=process_type, timer=timer_name(app, process_type),
        service=scheduled_name(app, process_type), schedule=schedule, state=state,
        timer_state="%s/%s" % (timer_active or "unknown", timer.get("SubState", "")),
        enabled=timer.get("UnitFileState", ""),
        last_start=last_start,
        last_end=utc_epoch(service.get("ExecMainExitTimestamp")) if known else None,
        duration=duration(service) if known else None,
        result=result,
        exit_code=status if exited and code == CLD_EXITED else None,
        signal=signal_name(status) if exited and code != CLD_EXITED else None,
        next_run=utc_epoch(timer.get("NextElapseUSecRealtime")),
        health=health,
        invocation_id=service.get("InvocationID") or None)


def scheduled_rows(host, app, scheduled):
    """status["scheduled"]: a row per type of SCHEDULED (scan_owned_units' entry, {type:
    {"schedule": ...}}), sorted by type, from one systemctl call (none without types)."""
    types = sorted(scheduled)
    if not types:
        return []
    shown = host.schedules(app, types)
    return [scheduled_row(app, t, scheduled[t].get("schedule") or None, shown[t]["timer"],
                          shown[t]["service"]) for t in types]


def _journal(module, args):
    journalctl = module.get_bin_path("journalctl", required=True)
    _rc, out, _err = module.run_command([journalctl, "--no-pager"] + list(args))
    return out or ""


# The fields of systemd's own journal entries about a unit's runs that say which run a
# start job ran (INVOCATION_ID, on the job's result entry) and how it ended.
RUN_FIELDS = "JOB_TYPE,JOB_RESULT,INVOCATION_ID,UNIT_RESULT,EXIT_CODE,EXIT_STATUS"


def journal_run(text):
    """The run a `systemctl start` waited for, from systemd's journal entries of the unit
    since just before the start (TEXT: `journalctl --output=json`, one entry a line): the
    first start job that ended is that run (a start while a run goes joins it, and no two
    runs overlap), whatever ran after it (the timer may start the next run at once).
    Returns {invocation_id, result, exit_code, signal, start, end (epoch s, or None)} or
    None when no start job ended (the unit never started)."""
    entries = []
    for line in (text or "").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    ours = next((e for e in entries if e.get("JOB_TYPE") == "start" and e.get("JOB_RESULT")
                 and e.get("INVOCATION_ID")), None)
    if ours is None:
        return None
    invocation = ours["INVOCATION_ID"]
    mine = [e for e in entries if e.get("INVOCATION_ID") == invocation]
    unit_result = next((e["UNIT_RESULT"] for e in mine if e.get("UNIT_RESULT")), None)
    exit_entry = next((e for e in mine if e.get("EXIT_CODE")), {})
    status = _int(exit_entry.get("EXIT_STATUS"))
    started = next((e for e in mine if e.get("JOB_TYPE") == "start" and not e.get("JOB_RESULT")), None)

    def seconds(entry):
        micro = _int((entry or {}).get("__REALTIME_TIMESTAMP"))
        return None if micro is None else micro / 1e6

    start, end = seconds(started), seconds(ours)
    return dict(
        invocation_id=invocation,
        result=unit_result or ("success" if ours["JOB_RESULT"] == "done" else ours["JOB_RESULT"]),
        exit_code=status if exit_entry.get("EXIT_CODE") == "exited" else None,
        signal=signal_name(status) if exit_entry.get("EXIT_CODE") in ("killed", "dumped")
        and status is not None else None,
        start=None if start is None else int(start), end=None if end is None else int(end),
        duration=round(end - start, 3) if start is not None and end is not None else None)


def run_row(row, run):
    """The type's row after the run: ROW as systemctl shows the type now, with the run's
    own result (RUN, from journal_run) where the timer has started another run since."""
    if run is None or run["invocation_id"] == row["invocation_id"]:
        return row
    row = dict(row)
    row.update(invocation_id=run["invocation_id"], result=run["result"],
               exit_code=run["exit_code"], signal=run["signal"], last_start=run["start"],
               last_end=run["end"], duration=run["duration"],
               health="passing" if run["result"] == "success" else "failing")
    return row


def run_now(module, host, app, process_type):
    """Start the scheduled type's service now and wait for the run to end (Type=oneshot:
    `systemctl start` returns when it ends, rc 1 when it failed; a start while a run goes
    joins that run, so runs never overlap). Returns (rc, the type's row for that run, the
    run's output lines, systemctl's own message)."""
    service = scheduled_name(app, process_type)
    # The journal's clock (realtime): the entries of this run end after this.
    since = time.time() - 0.001
    rc, out, err = module.run_command([host.systemctl, "start", "--", service])
    # What journald received before now, on disk before it is read.
    module.run_command([module.get_bin_path("journalctl", required=True), "--sync"])
    run = journal_run(_journal(module, ["--unit=" + service, "--since=@%.6f" % since,
                                        "--output=json", "--output-fields=" + RUN_FIELDS]))
    shown = host.schedules(app, [process_type])[process_type]
    row = run_row(scheduled_row(app, process_type, None, shown["timer"], shown["service"]), run)
    output = run_output(module, run["invocation_id"]) if run is not None else []
    return rc, row, output, (err or out or "").strip()


# The scheduled unit's wrapper prints this last, from an EXIT trap, in the same stream as
# the run's own output (templates/scheduled.service.j2).
END_RE = re.compile(r"^procfile: run ended, exit status [0-9]+\Z")
OUTPUT_DEADLINE = 30.0


def run_output(module, invocation_id, deadline=OUTPUT_DEADLINE, interval=0.1):
    """The run's output lines, once journald has all of them. journald reads a unit's
    stdout stream on its own time: `journalctl --sync` does not wait for what is still in
    the stream when `systemctl start` returns (measured: a failing run's only line was
    missing now and then). The wrapper's last line, which follows everything else in the
    same stream, says it has all arrived; without it (a run killed by SIGKILL prints none)
    the output is what arrived by DEADLINE. The line itself is not shown."""
    journalctl = module.get_bin_path("journalctl", required=True)
    waited = 0.0
    while True:
        lines = _journal(module, ["--output=cat", "_SYSTEMD_INVOCATION_ID=" + invocation_id]).splitlines()
        if any(END_RE.match(line) for line in lines) or waited >= deadline:
            return [line for line in lines if not END_RE.match(line)]
        time.sleep(interval)
        waited += interval
        module.run_command([journalctl, "--sync"])


def run_message(app, row, rc):
    """One line: what the run did."""
    what = "%s %s (%s)" % (app, row["type"], row["service"])
    if rc == 0:
        took = "-" if row["duration"] is None else row["duration"]
        return "%s: ran, %s in %s s" % (what, row["result"] or "success", took)
    detail = ", ".join(x for x in (
        row["result"],
        None if row["exit_code"] is None else "exit status %d" % row["exit_code"],
        None if row["signal"] is None else "signal %s" % row["signal"]) if x)
    return "%s: failed (%s)" % (what, detail or "systemctl start rc %d" % rc)


def run_scheduled(module, host, app, process_type, scheduled):
    """procfile_run_scheduled's result: PROCESS_TYPE run now where SCHEDULED (the host's
    scan_owned_units entry's) has its timer, nothing elsewhere; in check mode what would
    run. Returns (result, whether the run failed)."""
    # The timer decides where the type runs: a service left without its timer (an
    # interrupted removal) is no scheduled type of this host.
    here = sorted(t for t, files in scheduled.items() if files.get("timer"))
    if process_type not in here:
        return dict(changed=False, ran=False, here=False, scheduled=here,
                    msg="%s is not a scheduled type of %s on this host (scheduled here: %s)"
                        % (process_type, app, ", ".join(here) or "none")), False
    service = scheduled_name(app, process_type)
    if module.check_mode:
        return dict(changed=True, ran=False, here=True, scheduled=here, service=service,
                    msg="%s %s (%s): would run now (check mode: not run)"
                        % (app, process_type, service)), False
    rc, row, output, said = run_now(module, host, app, process_type)
    result = dict(changed=True, ran=True, here=True, scheduled=here, service=service, rc=rc,
                  run=row, output=output, msg=run_message(app, row, rc))
    if rc != 0:
        # systemctl's own line ("Job for ... failed because ...") says why when the run
        # itself has no result (the unit could not start).
        result["systemctl"] = said
    return result, rc != 0
