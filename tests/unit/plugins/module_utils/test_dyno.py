"""worker or worker.2: a type or one instance, named as every instance names itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.filter.procfile import dyno_units
from ansible_collections.procfile.systemd.plugins.module_utils.dyno import parse, select

PRESENT = {"web": [1, 2], "worker": [3, 4], "worker.beat": [5]}
EVERY = "web.1, web.2, worker.3, worker.4, worker.beat.5"


@pytest.mark.parametrize("name, expected", [
    ("worker", ("worker", None)), ("worker.2", ("worker", 2)), ("worker.beat", ("worker.beat", None)),
    ("worker.beat.5", ("worker.beat", 5)), ("web.", ("web.", None)), ("12", ("12", None)),
])
def test_parse(name, expected):
    assert parse(name) == expected


def test_nothing_named_is_everything():
    assert select("shop", [], PRESENT) == (PRESENT, [])


def test_a_type_and_an_instance():
    assert select("shop", ["web"], PRESENT) == ({"web": [1, 2]}, [])
    assert select("shop", ["worker.4"], PRESENT) == ({"worker": [4]}, [])
    assert select("shop", ["worker.beat.5", "worker.3"], PRESENT) == (
        {"worker.beat": [5], "worker": [3]}, [])
    assert select("shop", ["worker", "worker.3"], PRESENT) == ({"worker": [3, 4]}, [])


def test_unknown_names_list_what_the_host_has():
    assert select("shop", ["cron", "worker.9"], PRESENT) == ({}, [
        "shop has no process type cron on this host (types: web, worker, worker.beat; "
        "instances: %s)" % EVERY,
        "shop has no instance worker.9 on this host (instances: %s)" % EVERY])
    assert select("shop", ["web"], {}) == ({}, [
        "shop has no process type web on this host (types: none; instances: none)"])


def status(types, rows):
    return {"app": "shop", "types": [{"type": t} for t in types],
            "instances": [{"type": t, "unique_int": n} for t, n in rows]}


def test_dyno_units_for_the_journal():
    host = status(["web", "worker"], [("web", 1), ("worker", 2), ("worker", 3)])
    assert dyno_units(host) == {"units": ["shop-web@*.service", "shop-worker@*.service"],
                                "errors": []}
    assert dyno_units(host, "worker") == {"units": ["shop-worker@*.service"], "errors": []}
    assert dyno_units(host, "worker.3") == {"units": ["shop-worker@3.service"], "errors": []}
    assert dyno_units(host, "worker.7")["errors"] == [
        "shop has no instance worker.7 on this host (instances: web.1, worker.2, worker.3)"]
    # A type installed with no instance: the type is known, none of its instances.
    idle = status(["web", "worker"], [("web", 1)])
    assert dyno_units(idle, "worker") == {"units": ["shop-worker@*.service"], "errors": []}
    assert dyno_units(idle, "worker.1")["units"] == []


def test_a_scheduled_type_selects_its_service_and_every_type_includes_it():
    host = status(["web"], [("web", 1)])
    host["scheduled"] = [{"type": "report"}, {"type": "cleanup"}]
    assert dyno_units(host, "report") == {"units": ["shop-report.service"], "errors": []}
    assert dyno_units(host) == {"units": ["shop-web@*.service", "shop-report.service",
                                          "shop-cleanup.service"], "errors": []}
    # A name the host has neither as a type nor scheduled: the error names both.
    assert dyno_units(host, "mail")["errors"] == [
        "shop has no process type mail on this host (types: web; instances: web.1; "
        "scheduled types: report, cleanup)"]
    # A scheduled type has no instances.
    assert dyno_units(host, "report.1")["units"] == []
    # Scheduled types only.
    only = status([], [])
    only["scheduled"] = [{"type": "report"}]
    assert dyno_units(only) == {"units": ["shop-report.service"], "errors": []}


def test_a_type_scheduled_on_another_host_selects_nothing_here_and_is_no_error():
    host = status(["web"], [("web", 1)])
    assert dyno_units(host, "report", elsewhere=["report"]) == {"units": [], "errors": []}
    # Not scheduled anywhere: still an error.
    assert dyno_units(host, "report", elsewhere=["cleanup"])["errors"]
