# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scheduled process type's `schedule` (issue #31): a systemd calendar expression, or a
five-field cron expression translated to one here, on the controller, before anything
changes.

The translation is exact or refused. Each cron field is expanded to the set of values it
matches and that set is written back in systemd's syntax, so that the timer fires at the
same minutes cron would; whatever systemd cannot say with one OnCalendar= expression, or
what cron implementations disagree about, raises a ValueError that names the rule, never
a near miss (a job that runs at the wrong time is found out late and silently).

Both run in the host's local time zone (cron's and OnCalendar='s default), so the
translation adds no time zone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# The most days a month has (February's 29th happens in leap years).
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# cron counts weekdays from Sunday = 0 (7 is Sunday too); systemd writes them by name.
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
SYSTEMD_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
# (field name, lowest, highest, names): cron's five fields in their order.
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day-of-month", 1, 31, None),
    ("month", 1, 12, MONTH_NAMES),
    ("day-of-week", 0, 7, DAY_NAMES),
)

# The macros of Vixie cron and cronie, as the five fields they stand for. @weekly is
# Sunday in cron, where systemd's own `weekly` is Monday: spelled out, never mapped to
# the systemd shorthand of the same name.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# What one comma-separated item of a cron field may be made of. A calendar expression
# always has a ':', '.', '~' or fewer than five words, which is how is_cron tells them
# apart.
_CRON_WORD_RE = re.compile(r"^[0-9A-Za-z*,/-]+\Z")
# Quartz and other non-standard cron extensions: last day (L), nearest weekday (W), nth
# weekday (#), no specific value (?). Named in the message rather than "not a number".
_EXTENSION_RE = re.compile(r"[#?]|^(L|LW|[0-9]+[LW]|L-[0-9]+)\Z")
_ITEM_RE = re.compile(r"^(?P<range>\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(?P<step>[^/]*))?\Z")


def is_cron(expr):
    """Whether EXPR is meant as a cron expression rather than a systemd calendar one: an
    @-macro (@daily), or five to seven words of cron's characters only (digits, names, * , / -).

    Six or seven such words (cron with seconds or a year, or /etc/crontab's user column)
    count as cron too, so that cron_to_calendar refuses them by name instead of systemd
    calling them a bad calendar expression."""
    if not isinstance(expr, str):
        return False
    # @1767225600 is systemd's (a point in time, seconds since the epoch), not cron's.
    if expr.strip().startswith("@") and not expr.strip()[1:].isdigit():
        return True
    words = expr.split()
    return 5 <= len(words) <= 7 and all(_CRON_WORD_RE.match(w) for w in words)


def _number(text, field):
    """TEXT (a number or, in the month and weekday fields, a three-letter name) as an int."""
    name, low, high, names = field
    if text.isdigit():
        value = int(text)
    elif names and text.lower() in names:
        value = names.index(text.lower()) + (1 if name == "month" else 0)
    else:
        expected = ("a number from %d to %d%s" % (
            low, high, " or a name (%s..%s)" % (names[0], names[-1]) if names else ""))
        raise ValueError("%s field: %r is not %s" % (name, text, expected))
    if not low <= value <= high:
        raise ValueError("%s field: %d is out of range (%d-%d)" % (name, value, low, high))
    return value


def _field_values(text, field):
    """The set of values cron's field TEXT matches (Sunday as 0 in the weekday field)."""
    name, low, high, _names = field
    values = set()
    for item in text.split(","):
        if _EXTENSION_RE.search(item):
            raise ValueError("%s field: %r uses L, W, # or ?, extensions of Quartz and "
                             "other schedulers that five-field cron does not have"
                             % (name, item))
        match = _ITEM_RE.match(item)
        if not match:
            raise ValueError("%s field: %r is not a cron item (N, N-M, *, with an "
                             "optional /STEP, separated by commas)" % (name, item))
        first, last = low, high
        if match.group("range") != "*":
            bounds = match.group("range").split("-")
            first = _number(bounds[0], field)
            last = _number(bounds[1], field) if len(bounds) == 2 else first
            if last < first:
                # cron refuses a range that goes backwards (fri-mon); spell it as a list.
                raise ValueError("%s field: range %r goes from high to low; write it as "
                                 "two ranges or a list" % (name, match.group("range")))
            if match.group("step") is not None and len(bounds) == 1:
                # Vixie cron (Debian's) reads 5/10 as 5 alone, cronie as 5-59/10: the
                # same line runs at different times on different hosts.
                raise ValueError("%s field: %r steps from a single value, which cron "
                                 "implementations read differently; write N-%d/STEP or a "
                                 "list" % (name, item, high))
        step = 1
        if match.group("step") is not None:
            if not match.group("step").isdigit() or int(match.group("step")) == 0:
                raise ValueError("%s field: step %r must be a whole number of 1 or more"
                                 % (name, match.group("step")))
            step = int(match.group("step"))
        values.update(range(first, last + 1, step))
    if name == "day-of-week" and 7 in values:
        values.discard(7)
        values.add(0)
    return values


def _runs(values):
    """Sorted VALUES as maximal runs of consecutive numbers: [(first, last)]."""
    runs = []
    for v in sorted(values):
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _component(values, low, high, width):
    """VALUES (a set within LOW..HIGH) in systemd's syntax for one date or time component:
    `*`, `START/STEP` (an arithmetic series that runs to HIGH: systemd repeats a value up
    to the component's end, as cron's */STEP does), or a list of values and `A..B` ranges."""
    values = sorted(values)
    if values == list(range(low, high + 1)):
        return "*"
    fmt = "%%0%dd" % width
    if len(values) > 2:
        step = values[1] - values[0]
        if step > 1 and values == list(range(values[0], high + 1, step)):
            return "%s/%d" % (fmt % values[0], step)
    words = []
    for first, last in _runs(values):
        if last - first >= 2:
            words.append("%s..%s" % (fmt % first, fmt % last))
        else:
            words.extend(fmt % v for v in range(first, last + 1))
    return ",".join(words)


def _weekdays(values):
    """Cron weekdays (0 = Sunday) as systemd's names, runs as Mon..Fri; None for all seven.

    Written Monday first, as systemd's week is: it refuses a range that wraps past
    Sunday (`Sun..Tue` is "Invalid argument" on systemd 252), so cron's 0-2 becomes
    Mon,Tue,Sun."""
    if len(values) == 7:
        return None
    order = [1, 2, 3, 4, 5, 6, 0]
    positions = set(order.index(v) for v in values)
    words = []
    for first, last in _runs(positions):
        if last - first >= 2:
            words.append("%s..%s" % (SYSTEMD_DAYS[order[first]], SYSTEMD_DAYS[order[last]]))
        else:
            words.extend(SYSTEMD_DAYS[order[p]] for p in range(first, last + 1))
    return ",".join(words)


def cron_to_calendar(expr):
    """EXPR, a five-field cron expression (minute hour day-of-month month day-of-week) or
    an @-macro, as a systemd OnCalendar= expression that fires at exactly the same times.

    Raises ValueError naming the rule broken: not five fields, a value out of range, an
    unknown name, a step without a range, @reboot, and a day-of-month and a day-of-week
    that are both restricted (cron then runs on either, systemd only on both)."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("a cron expression must be text of five fields: minute hour "
                         "day-of-month month day-of-week")
    text = expr.strip()
    if text.startswith("@"):
        if text.lower() == "@reboot":
            raise ValueError("@reboot is not a calendar schedule: a timer runs a type at "
                             "times of day; use a release command or a process for work "
                             "at boot")
        if text.lower() not in MACROS:
            raise ValueError("unknown cron macro %r (known: %s)"
                             % (text, ", ".join(sorted(MACROS))))
        text = MACROS[text.lower()]
    words = text.split()
    if len(words) != 5:
        raise ValueError("a cron expression has five fields (minute hour day-of-month month "
                         "day-of-week), %r has %d%s" % (expr, len(words), (
                             ": seconds, a year or the user column of /etc/crontab are not "
                             "part of it" if len(words) > 5 else "")))
    minutes, hours, days, months, weekdays = (
        _field_values(word, field) for word, field in zip(words, FIELDS))
    if words[2] != "*" and words[4] != "*":
        # Cron runs the job on a day that matches EITHER field when both are restricted
        # (and Vixie cron treats a field starting with * as unrestricted, others do not);
        # an OnCalendar= expression requires BOTH, so no single one is exact.
        raise ValueError("day-of-month %r and day-of-week %r are both restricted: cron runs "
                         "the job on days matching either, systemd's calendar only on days "
                         "matching both. Set one of them to * (or use a calendar expression)"
                         % (words[2], words[4]))
    if not any(day <= MONTH_DAYS[month - 1] for month in months for day in days):
        # cron keeps such a line and never runs it; systemd-analyze calendar says "Next
        # elapse: never". Refused: a job that never runs is a mistake, found late.
        raise ValueError("day-of-month %r in month %r never happens: the job would never run"
                         % (words[2], words[3]))
    date = "*-%s-%s" % (_component(months, 1, 12, 2), _component(days, 1, 31, 2))
    time = "%s:%s:00" % (_component(hours, 0, 23, 2), _component(minutes, 0, 59, 2))
    weekday = _weekdays(weekdays)
    return " ".join(([weekday] if weekday else []) + [date, time])


# --------------------------------------------------------------- the settings of a type

# A calendar expression is left to systemd-analyze calendar on the host (before the first
# change); here only what would break the unit file or could never be one.
_CALENDAR_RE = re.compile(r"^[\x21-\x7e]+( [\x21-\x7e]+)*\Z")
# schedule_on: first, all or an inventory hostname (one word of printable ASCII).
_HOSTNAME_RE = re.compile(r"^[\x21-\x7e]+\Z")
MAX_TIMEOUT = 7 * 86400
MAX_JITTER = 86400
# A scheduled type runs no instances: these settings are about instances, and refused in
# its own settings (in procfile_process_defaults they are the other types').
INSTANCE_ONLY = ("health_check", "upstream", "max_unavailable", "restart_sec")
# procfile-run names its one-offs <app>-run-<N>.service: a scheduled type of that name
# would be one of them.
_ONE_OFF_RE = re.compile(r"^run-[0-9]+\Z")
DEFAULTS = {"schedule_on": "first", "schedule_timeout": 3600, "schedule_jitter": 0}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def calendar(schedule):
    """The OnCalendar= expression of a SCHEDULE (a cron line is translated, a calendar
    expression is kept). Raises ValueError as cron_to_calendar does."""
    text = schedule.strip()
    return cron_to_calendar(text) if is_cron(text) else text


def schedule_errors(where, value):
    """A `schedule` setting's problems (WHERE names it: procfile_process_settings['x'])."""
    if not isinstance(value, str) or not value.strip():
        return ["%s.schedule %r: a systemd calendar expression (hourly, *-*-* 03:00:00, "
                "Mon..Fri 09:00) or a five-field cron expression (*/15 * * * *)" % (where, value)]
    if is_cron(value.strip()):
        try:
            cron_to_calendar(value)
        except ValueError as exc:
            return ["%s.schedule %r: %s" % (where, value, exc)]
        return []
    if len(value) > 256 or not _CALENDAR_RE.match(value.strip()):
        return ["%s.schedule %r: a calendar expression is one line of printable ASCII words "
                "separated by single spaces, at most 256 characters" % (where, value)]
    return []


def setting_errors(where, values, in_defaults=False):
    """The schedule_* settings of one dict of settings (a type's, or the defaults')."""
    errors = []
    on = values.get("schedule_on")
    if on is not None and not (isinstance(on, str) and _HOSTNAME_RE.match(on)):
        errors.append("%s.schedule_on %r: first (the play's first host), all (every host of "
                      "the play) or an inventory hostname" % (where, on))
    timeout = values.get("schedule_timeout")
    if timeout is not None and not (_is_int(timeout) and 1 <= timeout <= MAX_TIMEOUT):
        errors.append("%s.schedule_timeout %r: whole seconds from 1 to %d that a run may take "
                      "before it is stopped" % (where, timeout, MAX_TIMEOUT))
    jitter = values.get("schedule_jitter")
    if jitter is not None and not (_is_int(jitter) and 0 <= jitter <= MAX_JITTER):
        errors.append("%s.schedule_jitter %r: whole seconds from 0 to %d by which each run is "
                      "delayed at random" % (where, jitter, MAX_JITTER))
    if in_defaults:
        if values.get("schedule") is not None:
            errors.append("%s.schedule: a schedule is one process type's; set it in "
                          "procfile_process_settings[<type>].schedule" % where)
        return errors
    if values.get("schedule") is None:
        for key in ("schedule_on", "schedule_timeout", "schedule_jitter"):
            if values.get(key) is not None:
                errors.append("%s.%s: has no effect without %s.schedule" % (where, key, where))
        return errors
    errors += schedule_errors(where, values["schedule"])
    for key in INSTANCE_ONLY:
        if values.get(key) is not None:
            errors.append("%s.%s: a scheduled type runs no instances; remove the setting or "
                          "the schedule" % (where, key))
    return errors


def type_name_errors(where, process_type):
    if _ONE_OFF_RE.match(process_type):
        return ["%s.schedule: a scheduled type cannot be named %s (its unit would be a "
                "one-off's, <app>-run-N.service); rename the type" % (where, process_type)]
    return []


def schedules(settings, defaults, types, hostname, play_hosts, inventory_hosts, limited=False,
              counts=None):
    """Where each scheduled type of TYPES (the Procfile's, release excluded) runs, seen
    from HOSTNAME, with its timer's settings. Returns {"types": {type: {"schedule",
    "calendar", "timeout", "jitter", "on", "here"}}, "errors": [...], "warnings": [...]}.

    `here` is True (the timer lives on this host), False (it does not: a timer this host
    has is removed) or None: `schedule_on: first` in a run limited with --limit, whose
    first host need not be the fleet's, so each host keeps what it has (a timer is
    updated where there is one and added nowhere). PLAY_HOSTS is ansible_play_hosts_all,
    the play's hosts whatever the batch (procfile_serial): `first` is then one host per
    play, not one per batch. COUNTS: {type: (variable, value)} of the counts set for the
    types (procfile_scale's or <type>_count's): one above 1 for a scheduled type is
    ignored, with a warning."""
    found, errors, warnings = {}, [], []
    settings = settings if isinstance(settings, dict) else {}
    defaults = defaults if isinstance(defaults, dict) else {}
    for t in types:
        own = settings.get(t)
        if not isinstance(own, dict) or own.get("schedule") is None:
            continue
        where = "procfile_process_settings[%r]" % t
        problems = []
        merged = dict(DEFAULTS)
        merged.update((k, v) for k, v in defaults.items() if k in DEFAULTS and v is not None)
        merged.update((k, v) for k, v in own.items() if k in DEFAULTS and v is not None)
        on = merged["schedule_on"]
        if on not in ("first", "all") and isinstance(on, str) and on not in inventory_hosts:
            problems.append("%s.schedule_on %r: no such host in the inventory (hosts: %s); use "
                            "first, all or an inventory hostname"
                            % (where, on, ", ".join(sorted(inventory_hosts)[:10])))
        try:
            expr = calendar(own["schedule"]) if isinstance(own["schedule"], str) else None
        except ValueError:
            expr = None  # named by setting_errors
        if problems or expr is None:
            errors += problems
            continue
        if on == "all":
            here = True
        elif on == "first":
            here = None if limited else bool(play_hosts) and hostname == play_hosts[0]
            if limited:
                warnings.append("%s runs on the play's first host (schedule_on: first), and "
                                "this run is limited (--limit): its timer stays where it is, "
                                "updated but neither added nor moved" % t)
        else:
            here = hostname == on
        variable, count = (counts or {}).get(t, (None, None))
        try:
            many = count is not None and int(count) > 1
        except (TypeError, ValueError):
            many = False
        if many:
            warnings.append("%s is %s, but %s is a scheduled type: it runs once per schedule "
                            "(on %s), and the count is ignored" % (variable, count, t, on))
        found[t] = {"schedule": own["schedule"], "calendar": expr,
                    "timeout": merged["schedule_timeout"], "jitter": merged["schedule_jitter"],
                    "on": on, "here": here}
    return {"types": found, "errors": errors, "warnings": warnings}
