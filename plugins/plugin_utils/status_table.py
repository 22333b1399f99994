# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status of an app on every host of a play as one table (--tags status).

procfile_status returns data only; the table is made here, on the controller, from every
host's data at once, so that ten servers give one table with a HOST column (like
`fly status`), not ten tables. The JSON that procfile_status_file writes is the same data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

# A commit id (git's 40 hex digits, or 64) is shown as git shortens it; the data keeps it whole.
_LONG_HEX = re.compile(r"^[0-9a-f]{13,}$")


def short_time(timestamp):
    """'Mon 2026-11-23 11:47:11 UTC' -> '2026-11-23 11:47:11'; '' -> '-'."""
    parts = (timestamp or "").split()
    return " ".join(parts[1:3]) if len(parts) >= 3 else (timestamp or "-")


def version_cell(row):
    """The instance's version ('-' when unknown), marked ' (old)' when it started before
    its unit, the environment or the code last changed (procfile_status's `old`)."""
    version = row.get("version") or "-"
    if _LONG_HEX.match(version):
        version = version[:12]
    return version + (" (old)" if row.get("old") else "")


def local_time(epoch):
    """Seconds since the epoch as the controller's local time, '-' for none."""
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def duration_cell(seconds):
    """'0.4s', '42.0s', '2m03s', '1h05m'; '-' for none."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return "%.1fs" % seconds
    whole = int(round(seconds))
    if whole < 3600:
        return "%dm%02ds" % (whole // 60, whole % 60)
    return "%dh%02dm" % (whole // 3600, whole % 3600 // 60)


def result_cell(row):
    """The last run's result with its exit status or signal when they say more:
    'success', 'exit-code 3', 'timeout SIGTERM', 'running' while it runs, '-' unknown."""
    if row.get("state") == "running":
        return "running"
    result = row.get("result") or "-"
    if row.get("signal"):
        return "%s SIG%s" % (result, row["signal"])
    if row.get("exit_code"):
        return "%s %d" % (result, row["exit_code"])
    return result


def next_cell(row):
    """The next run in local time; '(inactive)' for a stopped timer (a paused app);
    '-' while a run goes (systemd computes the next one when it ends)."""
    if row.get("next_run") is not None:
        return local_time(row["next_run"])
    return "(inactive)" if row.get("state") == "inactive" else "-"


def scheduled_lines(hosts, statuses):
    """The scheduled types section: one line per type and host, by type then host."""
    rows = sorted(((r["type"], h, r) for h in hosts for r in statuses[h].get("scheduled") or []),
                  key=lambda x: (x[0], x[1]))
    if not rows:
        return []
    cells = [(t, h, r.get("schedule") or "-", local_time(r.get("last_start")),
              duration_cell(r.get("duration")), result_cell(r), next_cell(r), r.get("health") or "-")
             for t, h, r in rows]
    headers = ("TYPE", "HOST", "SCHEDULE", "LAST RUN", "DURATION", "RESULT", "NEXT", "HEALTH")
    widths = [_column(header, [c[i] for c in cells]) for i, header in enumerate(headers)]
    # Right-aligned: DURATION; the others left-aligned; the last column not padded.
    return [" ".join((value.rjust(w) if i == 4 else value.ljust(w)) if i < len(widths) - 1 else value
                     for i, (value, w) in enumerate(zip(line, widths)))
            for line in [headers] + cells]


def _column(header, values):
    return max([len(header)] + [len(v) for v in values])


def _app_lines(app, hosts, statuses):
    """Where the app runs, is paused, is not deployed: one line each, hosts named."""
    paused = [h for h in hosts if statuses[h]["paused"]]
    absent = [h for h in hosts if not statuses[h].get("deployed", True) and h not in paused]
    running = [h for h in hosts if h not in paused and h not in absent]
    lines = []
    if running:
        lines.append("%s: running on %s" % (app, ", ".join(running)))
    if paused:
        lines.append("%s: PAUSED on %s (resume with --tags resume)" % (app, ", ".join(paused)))
    if absent:
        lines.append("%s: not deployed on %s" % (app, ", ".join(absent)))
    return lines


def status_table(statuses):
    """STATUSES: {host: the `status` procfile_status returned, or None when the host gave
    none}. One list of lines: the app's state per host, the wanted and running counts
    per host and type, each upstream list, then every instance, grouped by host (sorted)
    and in the order each host gave them (by type, then instance number), with the
    version it runs (see version_cell) and its health check's result last; then each
    scheduled type on its host (see scheduled_lines), times in the controller's local time."""
    hosts = sorted(h for h, s in statuses.items() if s)
    missing = sorted(h for h, s in statuses.items() if not s)
    if not hosts:
        return ["no status: no host of the play was read"]
    app = statuses[hosts[0]]["app"]
    lines = _app_lines(app, hosts, statuses)
    if missing:
        lines.append("%s: no status from %s" % (app, ", ".join(missing)))

    counts = [(h, t) for h in hosts for t in statuses[h]["types"]]
    scheduled = scheduled_lines(hosts, statuses)
    host_w = _column("HOST", hosts)
    type_w = _column("TYPE", [t["type"] for _h, t in counts])
    # An app of scheduled types only has no counts to show.
    if counts or not scheduled:
        lines.append("%-*s %-*s %6s %7s" % (host_w, "HOST", type_w, "TYPE", "WANTED", "RUNNING"))
    for h, t in counts:
        wanted = "-" if t["wanted"] is None else str(t["wanted"])
        lines.append("%-*s %-*s %6s %7d" % (host_w, h, type_w, t["type"], wanted, t["running"]))

    for h in hosts:
        for t, u in sorted(statuses[h].get("upstreams", {}).items()):
            listed = " ".join("%s.%d" % (t, n) for n in u["instances"]) or "no instance"
            lines.append("%s: %s upstream %s (%s): %s" % (h, t, u["name"], u["path"], listed))

    rows = [(h, r) for h in hosts for r in statuses[h]["instances"]]
    if not rows:
        return lines + scheduled
    unit_w = _column("INSTANCE", [r["unit"] for _h, r in rows])
    # Data from a procfile_status without them (an older collection's) shows "-".
    versions = [version_cell(r) for _h, r in rows]
    version_w = _column("VERSION", versions)
    lines.append("%-*s %-*s %4s %-20s %7s %8s %-19s %7s %-*s %s" % (
        host_w, "HOST", unit_w, "INSTANCE", "INT", "STATE", "PID", "RESTARTS", "SINCE", "MEMORY",
        version_w, "VERSION", "HEALTH"))
    for (h, r), version in zip(rows, versions):
        lines.append("%-*s %-*s %4d %-20s %7s %8d %-19s %7s %-*s %s" % (
            host_w, h, unit_w, r["unit"], r["unique_int"], "%s/%s" % (r["state"], r["sub_state"]),
            r["main_pid"] or "-", r["restarts"], short_time(r["since"]), r["memory"],
            version_w, version, r.get("health") or "-"))
    return lines + scheduled
