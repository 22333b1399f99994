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
            first, _dots, last = word.partition("..")
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


# --------------------------------------------------------------- settings and placement

from ansible_collections.procfile.systemd.plugins.plugin_utils.schedule import (  # noqa: E402
    schedules,
    setting_errors,
    type_name_errors,
)
from ansible_collections.procfile.systemd.plugins.plugin_utils.validate import validate  # noqa: E402

WHERE = "procfile_process_settings['report']"
HOSTS = ("web-1", "web-2", "worker-1")


def placed(settings, hostname, limited=False, defaults=None, counts=None, play=HOSTS):
    return schedules(settings, defaults or {}, ["web", "report"], hostname, list(play), list(HOSTS) + ["db-1"],
                     limited, counts)


@pytest.mark.parametrize("values", [
    {"schedule": "hourly"}, {"schedule": "*-*-* 03:00:00"}, {"schedule": "Mon..Fri 09:00"},
    {"schedule": "*:0/5"}, {"schedule": "*/15 * * * *"}, {"schedule": "@daily"},
    {"schedule": "0 3 * * 1-5", "schedule_on": "all", "schedule_timeout": 60, "schedule_jitter": 0},
    {"schedule": "hourly", "schedule_on": "web-2", "schedule_timeout": 7 * 86400, "schedule_jitter": 86400},
])
def test_valid_schedule_settings(values):
    assert setting_errors(WHERE, values) == []


@pytest.mark.parametrize("values, message", [
    ({"schedule": ""}, "schedule '': a systemd calendar expression"),
    ({"schedule": 5}, "schedule 5: a systemd calendar expression"),
    ({"schedule": "61 * * * *"}, "schedule '61 * * * *': minute field: 61 is out of range (0-59)"),
    ({"schedule": "0 0 30 2 *"}, "never happens"),
    ({"schedule": "@reboot"}, "@reboot is not a calendar schedule"),
    ({"schedule": "hourly\nExecStartPre=+/bin/id"}, "one line of printable ASCII"),
    ({"schedule": "hourly", "schedule_on": ""}, "schedule_on '': first"),
    ({"schedule": "hourly", "schedule_on": "web 1"}, "schedule_on 'web 1': first"),
    ({"schedule": "hourly", "schedule_timeout": 0}, "schedule_timeout 0: whole seconds from 1"),
    ({"schedule": "hourly", "schedule_timeout": "60"}, "schedule_timeout '60'"),
    ({"schedule": "hourly", "schedule_jitter": -1}, "schedule_jitter -1"),
    ({"schedule": "hourly", "schedule_jitter": True}, "schedule_jitter True"),
    ({"schedule_on": "all"}, "schedule_on: has no effect without %s.schedule" % WHERE),
    ({"schedule_timeout": 60}, "schedule_timeout: has no effect without"),
    ({"schedule": "hourly", "health_check": {"path": "/"}}, "health_check: a scheduled type runs no instances"),
    ({"schedule": "hourly", "upstream": {"path": "/x"}}, "upstream: a scheduled type runs no instances"),
    ({"schedule": "hourly", "max_unavailable": 1}, "max_unavailable: a scheduled type"),
    ({"schedule": "hourly", "restart_sec": 5}, "restart_sec: a scheduled type"),
])
def test_invalid_schedule_settings_name_the_variable(values, message):
    errors = setting_errors(WHERE, values)
    assert len(errors) == 1, errors
    assert errors[0].startswith(WHERE + ".") and message in errors[0], errors


def test_the_defaults_may_set_how_scheduled_types_run_but_not_a_schedule():
    assert setting_errors("procfile_process_defaults", {"schedule_on": "all", "schedule_timeout": 60},
                          in_defaults=True) == []
    assert setting_errors("procfile_process_defaults", {"schedule": "hourly"}, in_defaults=True) == [
        "procfile_process_defaults.schedule: a schedule is one process type's; set it in "
        "procfile_process_settings[<type>].schedule"]


def test_the_roles_validation_checks_the_schedule_settings():
    errors = validate("shop", "/srv/shop", "shop", "shop", False, {},
                      {"run-3": {"schedule": "hourly"}, "report": {"schedule": "bogus words * * *"}},
                      [], ["run-3", "report"])
    assert any("procfile_process_settings['run-3'].schedule: a scheduled type cannot be named run-3"
               in e for e in errors), errors
    assert any(e.startswith("procfile_process_settings['report'].schedule 'bogus words * * *'")
               for e in errors), errors
    assert type_name_errors(WHERE, "run-x") == [] and type_name_errors(WHERE, "runner-1") == []


def test_first_is_the_plays_first_host_and_only_it():
    settings = {"report": {"schedule": "*/15 * * * *"}}
    first = placed(settings, "web-1")
    assert first == {"types": {"report": {"schedule": "*/15 * * * *", "calendar": "*-*-* *:00/15:00",
                                          "timeout": 3600, "jitter": 0, "on": "first", "here": True}},
                     "errors": [], "warnings": []}
    assert [placed(settings, h)["types"]["report"]["here"] for h in HOSTS] == [True, False, False]
    # The play's first host, not the inventory's (ansible_play_hosts_all).
    assert placed(settings, "web-2", play=("web-2", "web-1"))["types"]["report"]["here"] is True


def test_all_and_a_hostname():
    every = {"report": {"schedule": "hourly", "schedule_on": "all"}}
    assert [placed(every, h)["types"]["report"]["here"] for h in HOSTS] == [True, True, True]
    one = {"report": {"schedule": "hourly", "schedule_on": "worker-1"}}
    assert [placed(one, h)["types"]["report"]["here"] for h in HOSTS] == [False, False, True]
    # A host of the inventory outside the play: no host of the play has the timer.
    other = {"report": {"schedule": "hourly", "schedule_on": "db-1"}}
    assert [placed(other, h)["types"]["report"]["here"] for h in HOSTS] == [False, False, False]


def test_an_unknown_host_is_refused():
    found = placed({"report": {"schedule": "hourly", "schedule_on": "web-9"}}, "web-1")
    assert found["types"] == {}
    assert found["errors"] == ["procfile_process_settings['report'].schedule_on 'web-9': no such host "
                               "in the inventory (hosts: db-1, web-1, web-2, worker-1); use first, "
                               "all or an inventory hostname"]


def test_a_limited_run_keeps_first_where_it_is_with_a_warning():
    found = placed({"report": {"schedule": "hourly"}}, "web-2", limited=True)
    assert found["types"]["report"]["here"] is None
    assert found["warnings"] == ["report runs on the play's first host (schedule_on: first), and this "
                                 "run is limited (--limit): its timer stays where it is, updated but "
                                 "neither added nor moved"]
    # A named host or all needs no other host: a limited run places them as any run.
    assert placed({"report": {"schedule": "hourly", "schedule_on": "web-2"}}, "web-2",
                  limited=True)["types"]["report"]["here"] is True


def test_settings_come_from_the_type_then_the_defaults():
    found = placed({"report": {"schedule": "hourly", "schedule_jitter": 5}}, "web-1",
                   defaults={"schedule_timeout": 60, "schedule_jitter": 9, "schedule_on": "all"})
    assert found["types"]["report"] == {"schedule": "hourly", "calendar": "hourly", "timeout": 60,
                                        "jitter": 5, "on": "all", "here": True}
    # Types without a schedule are not scheduled; nor is one the Procfile lacks.
    assert placed({"web": {"stop_timeout": 5}, "cleanup": {"schedule": "hourly"}}, "web-1")["types"] == {}


def test_a_count_above_one_for_a_scheduled_type_is_ignored_with_a_warning():
    settings = {"report": {"schedule": "hourly"}}
    found = placed(settings, "web-1", counts={"report": ("report_count", 3)})
    assert found["warnings"] == ["report_count is 3, but report is a scheduled type: it runs once per "
                                 "schedule (on first), and the count is ignored"]
    assert placed(settings, "web-1", counts={"report": ("report_count", 1)})["warnings"] == []
    assert placed(settings, "web-1", counts={"report": ("report_count", "x")})["warnings"] == []
