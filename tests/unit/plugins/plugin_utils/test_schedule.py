"""Scheduled types (#31): cron expressions translated to systemd calendar expressions,
exactly or not at all, and cron told from calendar expressions."""

from __future__ import absolute_import, division, print_function

import itertools

import pytest

from ansible_collections.procfile.systemd.plugins.plugin_utils.schedule import (
    cron_to_calendar,
    is_cron,
)

# Each expected value was given to `systemd-analyze calendar` on a sandbox server
# (Debian 12, systemd 252, Mon 2026-12-07 22:3x UTC): each parsed (exit 0) and its
# "Normalized form:" is the expression itself, so the unit file says what systemd reads.
# Next elapses it printed, for a few:
#   *-*-* *:00/15:00            22:45:00, 23:00:00, 23:15:00
#   Mon..Fri *-*-* 03:00:00     Tue 2026-12-08 03:00:00, Wed 12-09 03:00, Thu 12-10 03:00
#   Sun *-*-* 00:00:00          Sun 2026-12-13 00:00:00 (cron's @weekly is Sunday)
#   *-01/3-01 02:30:00          2027-01-01 02:30, 2027-04-01 02:30, 2027-07-01 02:30
#   *-*-* *:10/20:00            22:50:00, 23:10:00, 23:30:00
#   Mon,Tue,Sun *-*-* 00:00:00  Tue 12-08, Sun 12-13, Mon 12-14 (Sun..Tue is refused)
#   *-*-* 08..18:00/5:00        Tue 2026-12-08 08:00, 08:05, 08:10
#   *-*-01/2 00:00:00           Wed 12-09, Fri 12-11, Sun 12-13 (odd days, as cron's */2)
#   *-*-* 01/2:00:00            23:00, 01:00, 03:00
TRANSLATIONS = [
    ("*/15 * * * *", "*-*-* *:00/15:00"),
    ("0 3 * * 1-5", "Mon..Fri *-*-* 03:00:00"),
    ("5 4 * * *", "*-*-* 04:05:00"),
    ("* * * * *", "*-*-* *:*:00"),
    ("0 9,17 * * mon-fri", "Mon..Fri *-*-* 09,17:00:00"),
    ("0 9,17 * * MON-FRI", "Mon..Fri *-*-* 09,17:00:00"),
    ("30 2 1 */3 *", "*-01/3-01 02:30:00"),
    ("10-50/20 * * * *", "*-*-* *:10/20:00"),
    ("0 0 * * 5-7", "Fri..Sun *-*-* 00:00:00"),
    ("0 0 * * 0-2", "Mon,Tue,Sun *-*-* 00:00:00"),
    ("0 0 * * 7", "Sun *-*-* 00:00:00"),
    ("0 0 * * 0,7", "Sun *-*-* 00:00:00"),
    ("0 0 * * 0-7", "*-*-* 00:00:00"),
    ("0 0 * * 1,3,5", "Mon,Wed,Fri *-*-* 00:00:00"),
    ("0 0 * jan,jul *", "*-01,07-* 00:00:00"),
    ("0 0 * jun-aug *", "*-06..08-* 00:00:00"),
    ("0 0 29 2 *", "*-02-29 00:00:00"),
    ("0 0 31 * *", "*-*-31 00:00:00"),
    ("0 0 * * */2", "Tue,Thu,Sat,Sun *-*-* 00:00:00"),
    ("0 0 */10 * *", "*-*-01/10 00:00:00"),
    ("*/5 8-18 * * *", "*-*-* 08..18:00/5:00"),
    ("0 0 1,15 * *", "*-*-01,15 00:00:00"),
    ("0 0 */2 * *", "*-*-01/2 00:00:00"),
    ("0 */2 * * *", "*-*-* 00/2:00:00"),
    ("0 1-23/2 * * *", "*-*-* 01/2:00:00"),
    ("0 0 1-7 * *", "*-*-01..07 00:00:00"),
    # A series that stops before the end of its range is a list: systemd's START/STEP
    # would go on to 59.
    ("0-30/10 * * * *", "*-*-* *:00,10,20,30:00"),
    ("1,2,3,4,10 * * * *", "*-*-* *:01..04,10:00"),
    ("*/100 * * * *", "*-*-* *:00:00"),
    ("  0   3 * * 1-5 ", "Mon..Fri *-*-* 03:00:00"),
    ("@hourly", "*-*-* *:00:00"),
    ("@daily", "*-*-* 00:00:00"),
    ("@midnight", "*-*-* 00:00:00"),
    # cron's week starts on Sunday; systemd's `weekly` is Monday, so not that shorthand.
    ("@weekly", "Sun *-*-* 00:00:00"),
    ("@monthly", "*-*-01 00:00:00"),
    ("@yearly", "*-01-01 00:00:00"),
    ("@annually", "*-01-01 00:00:00"),
    ("@DAILY", "*-*-* 00:00:00"),
]


@pytest.mark.parametrize("cron, calendar", TRANSLATIONS)
def test_translation(cron, calendar):
    assert cron_to_calendar(cron) == calendar


def _systemd_component(text, low, high):
    """The values one systemd date/time component matches, as systemd documents them:
    `*`, lists of N, A..B and START/STEP (repeated up to the end of the range)."""
    if text == "*":
        return set(range(low, high + 1))
    values = set()
    for word in text.split(","):
        if "/" in word:
            start, step = word.split("/")
            values.update(range(int(start), high + 1, int(step)))
        elif ".." in word:
            first, last = word.split("..")
            values.update(range(int(first), int(last) + 1))
        else:
            values.add(int(word))
    return values


DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def _systemd_sets(calendar):
    """(weekdays with 0 = Sunday, months, days, hours, minutes) of a translation."""
    words = calendar.split()
    weekdays = set(range(7))
    if len(words) == 3:
        weekdays = set()
        for word in words.pop(0).split(","):
            first, _, last = word.partition("..")
            weekdays.update(range(DAYS.index(first), DAYS.index(last or first) + 1))
    date, time = words
    year, month, day = date.split("-")
    hour, minute, second = time.split(":")
    assert (year, second) == ("*", "00")
    return (weekdays, _systemd_component(month, 1, 12), _systemd_component(day, 1, 31),
            _systemd_component(hour, 0, 23), _systemd_component(minute, 0, 59))


@pytest.mark.parametrize("cron, weekdays, months, days, hours, minutes", [
    ("*/7 * * * *", range(7), range(1, 13), range(1, 32), range(24), [0, 7, 14, 21, 28, 35, 42, 49, 56]),
    ("3-59/15 */6 * * *", range(7), range(1, 13), range(1, 32), [0, 6, 12, 18], [3, 18, 33, 48]),
    ("0 0 * * sat,sun", [0, 6], range(1, 13), range(1, 32), [0], [0]),
    ("0 0 * * 6-7", [0, 6], range(1, 13), range(1, 32), [0], [0]),
    ("0 12 10-20/5 feb-apr,nov *", range(7), [2, 3, 4, 11], [10, 15, 20], [12], [0]),
    ("15,45 9-17/4 * * *", range(7), range(1, 13), range(1, 32), [9, 13, 17], [15, 45]),
])
def test_translation_matches_the_same_times(cron, weekdays, months, days, hours, minutes):
    # Read back as systemd reads it, the translation matches cron's sets field by field
    # (the fields are ANDed in both, once day-of-month or day-of-week is *).
    assert _systemd_sets(cron_to_calendar(cron)) == tuple(
        set(v) for v in (weekdays, months, days, hours, minutes))


@pytest.mark.parametrize("minute, hour", list(itertools.product(
    ["*", "0", "*/5", "5-55/10", "0,30", "59", "1-3"], ["*", "3", "*/3", "9-17", "0,12"])))
def test_every_translation_reads_back_exactly(minute, hour):
    cron = "%s %s * * *" % (minute, hour)
    _weekdays, _months, _days, hours, minutes = _systemd_sets(cron_to_calendar(cron))

    def cron_values(text, high):
        # cron's reading of the few forms above, written out independently.
        if text == "*":
            return set(range(high + 1))
        if text.startswith("*/"):
            return set(range(0, high + 1, int(text[2:])))
        if "/" in text:
            span, step = text.split("/")
            first, last = span.split("-")
            return set(range(int(first), int(last) + 1, int(step)))
        if "-" in text:
            first, last = text.split("-")
            return set(range(int(first), int(last) + 1))
        return set(int(v) for v in text.split(","))

    assert (minutes, hours) == (cron_values(minute, 59), cron_values(hour, 23))


@pytest.mark.parametrize("cron, message", [
    # cron: on the 1st OR on Mondays; one OnCalendar= would be the 1st if it is a Monday.
    ("0 0 1 * 1", "day-of-month '1' and day-of-week '1' are both restricted: cron runs the "
                  "job on days matching either, systemd's calendar only on days matching both"),
    ("0 0 1-7 * mon", "both restricted"),
    # Vixie cron ANDs these (a field starting with * counts as unrestricted), busybox ORs.
    ("0 0 */2 * 1", "day-of-month '*/2' and day-of-week '1' are both restricted"),
    ("0 0 1 * */1", "both restricted"),
    ("@reboot", "@reboot is not a calendar schedule"),
    ("@every 5m", "unknown cron macro '@every 5m'"),
    ("@fortnightly", "unknown cron macro"),
    ("* * * *", "a cron expression has five fields (minute hour day-of-month month "
                "day-of-week), '* * * *' has 4"),
    ("0 0 * * * *", "has 6: seconds, a year or the user column of /etc/crontab"),
    ("0 0 * * * root", "has 6"),
    ("", "must be text of five fields"),
    ("   ", "must be text of five fields"),
    (None, "must be text of five fields"),
    (15, "must be text of five fields"),
    ("60 * * * *", "minute field: 60 is out of range (0-59)"),
    ("0 24 * * *", "hour field: 24 is out of range (0-23)"),
    ("0 0 0 * *", "day-of-month field: 0 is out of range (1-31)"),
    ("0 0 32 * *", "day-of-month field: 32 is out of range (1-31)"),
    ("0 0 * 13 *", "month field: 13 is out of range (1-12)"),
    ("0 0 * * 8", "day-of-week field: 8 is out of range (0-7)"),
    ("0 0 * foo *", "month field: 'foo' is not a number from 1 to 12 or a name (jan..dec)"),
    ("0 0 * * monday", "day-of-week field: 'monday' is not a number from 0 to 7 or a name"),
    ("0 0 * mon *", "month field: 'mon' is not"),
    ("0 0 * * jan", "day-of-week field: 'jan' is not"),
    ("mon 0 * * *", "minute field: 'mon' is not a number from 0 to 59"),
    ("0 0 * * fri-mon", "day-of-week field: range 'fri-mon' goes from high to low"),
    ("50-10 * * * *", "minute field: range '50-10' goes from high to low"),
    ("5/10 * * * *", "minute field: '5/10' steps from a single value, which cron "
                     "implementations read differently; write N-59/STEP or a list"),
    ("*/0 * * * *", "minute field: step '0' must be a whole number of 1 or more"),
    ("*/x * * * *", "minute field: step 'x' must be a whole number"),
    ("*/ * * * *", "minute field: step '' must be a whole number"),
    ("1,,2 * * * *", "minute field: '' is not a cron item"),
    ("*/5/2 * * * *", "minute field: '*/5/2' is not a cron item"),
    ("1-2-3 * * * *", "minute field: '1-2-3' is not a cron item"),
    # systemd-analyze calendar '*-02-30 00:00' exits 0 with "Next elapse: never".
    ("0 0 30 2 *", "day-of-month '30' in month '2' never happens: the job would never run"),
    ("0 0 31 apr,jun,sep,nov *", "never happens"),
    ("0 0 L * *", "day-of-month field: 'L' uses L, W, # or ?"),
    ("0 0 15W * *", "day-of-month field: '15W' uses L, W, # or ?"),
    ("0 0 ? * 1", "day-of-month field: '?' uses L, W, # or ?"),
    ("0 0 * * 5#3", "day-of-week field: '5#3' uses L, W, # or ?"),
    ("0 0 * * 5L", "day-of-week field: '5L' uses L, W, # or ?"),
])
def test_refused(cron, message):
    with pytest.raises(ValueError) as raised:
        cron_to_calendar(cron)
    assert message in str(raised.value)


def test_names_in_lists_and_ranges_and_any_case():
    assert cron_to_calendar("0 0 * Jan-Mar sat,SUN") == "Sat,Sun *-01..03-* 00:00:00"


@pytest.mark.parametrize("expr", [
    "*/15 * * * *", "0 3 * * 1-5", "0 9 * * mon-fri", "@hourly", "@reboot", "@every 5m",
    # Too many fields is cron still: refused by cron_to_calendar by name.
    "0 0 * * * *", "0 0 * * * root",
])
def test_is_cron(expr):
    assert is_cron(expr)


@pytest.mark.parametrize("expr", [
    "hourly", "daily", "weekly", "*-*-* 03:00:00", "Mon..Fri 09:00", "*:0/5",
    "Mon *-*-* 00:00:00 UTC", "Sat,Sun 2026-*-* 10:00 Europe/Berlin", "*-*-01 00:00",
    "2026-12-24", "@1767225600", "* * * *", "", "   ", None, 5, ["*", "*", "*", "*", "*"],
    # Five words with a ':' or '..' are no cron expression (cron has neither).
    "Mon..Fri * * * 00:00", "0 0 * * 1 extra words here too",
])
def test_is_not_cron(expr):
    assert not is_cron(expr)
