# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs of an app on every host of a play as one stream in time order (--tags logs).

Each host's journal is read with `journalctl --output=short-unix` (seconds since the epoch,
to the microsecond: comparable across hosts whatever their time zones); here, on the
controller, the lines of all hosts are merged by that time, each naming its host, like
`heroku logs` does for every dyno of an app.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

NO_ENTRIES = "-- No entries --"


def _timestamp(word):
    try:
        return float(word)
    except ValueError:
        return None


def iso_utc(seconds):
    """1764296045.123456 -> '2025-11-28T02:14:05.123456Z'."""
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entries(host, text):
    """[(time, host, order, text)] of one host's short-unix output. The journal's own
    hostname field gives way to the inventory's name; a message's continuation lines
    (printed indented, without a time) stay with it; journalctl's `-- ... --` notes go."""
    found = []
    for line in (text or "").splitlines():
        words = line.split(" ", 2)
        seconds = _timestamp(words[0]) if line and not line[0].isspace() else None
        if seconds is None:
            if line.startswith("-- ") or not found:
                continue
            found[-1][3] += "\n" + line
            continue
        found.append([seconds, host, len(found), words[2] if len(words) > 2 else ""])
    return found


def log_stream(outputs):
    """{host: short-unix journalctl output (None: the host read none)} -> lines
    'TIME HOST IDENTIFIER[PID]: MESSAGE', oldest first. Lines of the same moment keep
    their host's order (by host name, then as the journal gave them)."""
    merged = []
    for host in sorted(outputs):
        merged += entries(host, outputs[host])
    merged.sort(key=lambda e: (e[0], e[1], e[2]))
    lines = []
    for seconds, host, _order, message in merged:
        first, _sep, rest = message.partition("\n")
        lines.append("%s %s %s" % (iso_utc(seconds), host, first))
        lines += rest.split("\n") if rest else []
    return lines or [NO_ENTRIES]
