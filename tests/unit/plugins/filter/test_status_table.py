"""--tags status prints one table for every host of the play, from procfile_status's data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.procfile.systemd.plugins.filter.procfile import status_table
from ansible_collections.procfile.systemd.plugins.plugin_utils.status_table import duration_cell


def instance(unit, n, state="active", sub="running", pid=100, restarts=0, memory="12.0M",
             version="4f2a9c1", old=False, health=None):
    return dict(unit=unit, type=unit.split("-", 1)[1].split("@")[0], unique_int=n, state=state,
                sub_state=sub, enabled="enabled", main_pid=pid, restarts=restarts,
                since="Mon 2026-11-23 11:47:11 UTC" if pid else "", memory=memory,
                in_upstream=None, version=version if pid else None, old=old, health=health,
                health_error="HTTP status 500" if health == "failing" else None)


def host_status(types, instances, paused=False, deployed=True, upstreams=None):
    return dict(app="shop", deployed=deployed, paused=paused, paused_record=None,
                types=[dict(type=t, wanted=w, running=r) for t, w, r in types],
                instances=instances, upstreams=upstreams or {})


WEB_1 = host_status([("web", 2, 2), ("worker", 1, 1)], [
    instance("shop-web@1.service", 1, pid=101, health="passing"),
    instance("shop-web@2.service", 2, pid=102, health="failing"),
    instance("shop-worker@3.service", 3, pid=103, restarts=4, version="9d0e7b3", old=True)],
    upstreams={"web": dict(path="/etc/nginx/conf.d/shop-web.conf", name="shop_web",
                           instances=[1, 2])})
DB_1 = host_status([("web", 0, 0), ("worker", None, 0)], [], deployed=False)
WORKER_1 = host_status([("web", 0, 0), ("worker", 2, 0)], [
    instance("shop-worker@1.service", 1, state="inactive", sub="dead", pid=0, memory="-"),
    instance("shop-worker@2.service", 2, state="inactive", sub="dead", pid=0, memory="-")],
    paused=True)


def test_one_table_for_every_host_grouped_by_host_in_host_order():
    lines = status_table({"worker-1": WORKER_1, "web-1": WEB_1, "db-1": DB_1})
    assert lines == [
        "shop: running on web-1",
        "shop: PAUSED on worker-1 (resume with --tags resume)",
        "shop: not deployed on db-1",
        "HOST     TYPE   WANTED RUNNING",
        "db-1     web         0       0",
        "db-1     worker      -       0",
        "web-1    web         2       2",
        "web-1    worker      1       1",
        "worker-1 web         0       0",
        "worker-1 worker      2       0",
        "web-1: web upstream shop_web (/etc/nginx/conf.d/shop-web.conf): web.1 web.2",
        "HOST     INSTANCE               INT STATE                    PID RESTARTS SINCE"
        "                MEMORY VERSION       HEALTH",
        "web-1    shop-web@1.service       1 active/running           101        0 "
        "2026-11-23 11:47:11   12.0M 4f2a9c1       passing",
        "web-1    shop-web@2.service       2 active/running           102        0 "
        "2026-11-23 11:47:11   12.0M 4f2a9c1       failing",
        "web-1    shop-worker@3.service    3 active/running           103        4 "
        "2026-11-23 11:47:11   12.0M 9d0e7b3 (old) -",
        "worker-1 shop-worker@1.service    1 inactive/dead              -        0 "
        "-                         - -             -",
        "worker-1 shop-worker@2.service    2 inactive/dead              -        0 "
        "-                         - -             -",
    ]


def instance_lines(*rows):
    """The instance table of one host, web-1, with ROWS."""
    lines = status_table({"web-1": host_status([("web", len(rows), len(rows))], list(rows))})
    return lines[lines.index(next(x for x in lines if x.split()[:2] == ["HOST", "INSTANCE"])):]


def test_the_version_an_instance_was_started_with():
    assert instance_lines(instance("shop-web@1.service", 1, version="v42")) == [
        "HOST  INSTANCE            INT STATE                    PID RESTARTS SINCE"
        "                MEMORY VERSION HEALTH",
        "web-1 shop-web@1.service    1 active/running           100        0 "
        "2026-11-23 11:47:11   12.0M v42     -",
    ]


def test_an_old_instance_is_marked_beside_its_version():
    lines = instance_lines(instance("shop-web@1.service", 1, version="v41", old=True),
                           instance("shop-web@2.service", 2, version="v42"))
    assert [line.split("12.0M ", 1)[1] for line in lines[1:]] == ["v41 (old) -", "v42       -"]


def test_an_unknown_version_is_a_dash_old_or_not():
    lines = instance_lines(instance("shop-web@1.service", 1, version=None),
                           instance("shop-web@2.service", 2, version=None, old=True))
    assert [line.split("12.0M ", 1)[1] for line in lines[1:]] == ["-       -", "- (old) -"]


def test_health_passing_failing_or_none():
    lines = instance_lines(instance("shop-web@1.service", 1, health="passing"),
                           instance("shop-web@2.service", 2, health="failing"),
                           instance("shop-web@3.service", 3, health=None))
    assert [line.split()[-1] for line in lines] == ["HEALTH", "passing", "failing", "-"]


def test_a_commit_id_is_shortened_as_git_does():
    sha = "4f2a9c1e0b3d5a7c9e1f3b5d7a9c1e3f5b7d9a1c"
    lines = instance_lines(instance("shop-web@1.service", 1, version=sha, old=True),
                           instance("shop-web@2.service", 2, version="release-2026-11-23"))
    assert [line.split("12.0M ", 1)[1] for line in lines[1:]] == [
        "4f2a9c1e0b3d (old) -", "release-2026-11-23 -"]


def test_data_without_versions_or_health_shows_dashes():
    """From a procfile_status of a collection before these columns."""
    row = instance("shop-web@1.service", 1)
    for key in ("version", "old", "health", "health_error"):
        del row[key]
    assert instance_lines(row)[1].endswith("12.0M -       -")


def test_one_header_whatever_the_number_of_hosts():
    statuses = dict(("web-%02d" % i, WEB_1) for i in range(1, 11))
    lines = status_table(statuses)
    assert lines[0] == "shop: running on " + ", ".join(sorted(statuses))
    assert len([line for line in lines if line.startswith("HOST ")]) == 2
    assert len([line for line in lines if "shop-web@1.service" in line]) == 10


def test_a_host_without_status_is_named_and_none_at_all_is_said():
    lines = status_table({"web-1": WEB_1, "web-2": None})
    assert lines[:2] == ["shop: running on web-1", "shop: no status from web-2"]
    assert status_table({"web-1": None}) == ["no status: no host of the play was read"]


def test_joined_is_one_string():
    assert status_table({"db-1": DB_1}, joined=True) == "\n".join(status_table({"db-1": DB_1}))


@pytest.mark.parametrize("bad", [["web-1"], {"web-1": {"app": "shop"}}])
def test_anything_else_is_a_clear_error(bad):
    with pytest.raises(AnsibleFilterError, match="status_table"):
        status_table(bad)


def scheduled(process_type, schedule, state="waiting", last_start=1796690005, duration=1.012,
              result="success", exit_code=0, signal=None, next_run=1796690010, health="passing"):
    return dict(type=process_type, timer="shop-%s.timer" % process_type,
                service="shop-%s.service" % process_type, schedule=schedule, state=state,
                timer_state="active/waiting", enabled="enabled", last_start=last_start,
                last_end=last_start, duration=duration, result=result, exit_code=exit_code,
                signal=signal, next_run=next_run, health=health, invocation_id=None)


@pytest.fixture(name="utc")
def fixture_utc(monkeypatch):
    """The controller's local time is UTC here."""
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_scheduled_types_are_listed_under_the_instances_by_type_then_host(utc):
    web_1 = dict(WEB_1, scheduled=[scheduled("report", "0 3 * * 1-5", result="exit-code", exit_code=3,
                                             health="failing")])
    web_2 = host_status([("web", 1, 1)], [], deployed=True)
    web_2["scheduled"] = [
        scheduled("cleanup", "*:0/5", state="running", duration=None, result=None, exit_code=None,
                  next_run=None, health="running"),
        scheduled("report", "0 3 * * 1-5", state="inactive", last_start=None, duration=None,
                  result=None, exit_code=None, next_run=None, health=None),
        scheduled("zap", "hourly", duration=754.2, result="timeout", exit_code=None, signal="TERM",
                  health="failing")]
    lines = status_table({"web-1": web_1, "web-2": web_2})
    at = lines.index(next(x for x in lines if x.startswith("TYPE ")))
    assert lines[at - 1].startswith("web-1 shop-worker@3.service")
    assert [x.split()[0] for x in lines[at:]] == ["TYPE", "cleanup", "report", "report", "zap"]
    assert "running" in lines[at + 1] and lines[at + 1].endswith("running")
    assert " 1.0s exit-code 3 " in lines[at + 2] and lines[at + 2].endswith("2026-12-08 00:33:30 failing")
    assert "(inactive)" in lines[at + 3] and lines[at + 3].endswith(" -")
    assert " 12m34s timeout SIGTERM " in lines[at + 4]


def test_an_app_of_scheduled_types_only_has_no_counts_table(utc):
    only = host_status([], [])
    only["scheduled"] = [scheduled("report", "*-*-* 03:00:00")]
    assert status_table({"web-1": only}) == [
        "shop: running on web-1",
        "TYPE   HOST  SCHEDULE       LAST RUN            DURATION RESULT  NEXT                HEALTH",
        "report web-1 *-*-* 03:00:00 2026-12-08 00:33:25     1.0s success 2026-12-08 00:33:30 passing",
    ]
    # Data without `scheduled` (an older collection's): as before.
    assert status_table({"db-1": DB_1})[-1] == "db-1 worker      -       0"


@pytest.mark.parametrize("seconds, cell", [(None, "-"), (0.0042, "0.0s"), (59.94, "59.9s"),
                                           (60, "1m00s"), (3599.4, "59m59s"), (3725, "1h02m")])
def test_durations(seconds, cell):
    assert duration_cell(seconds) == cell
