"""A health check run once, now (health.check_now): what --tags status shows as HEALTH.
Real HTTP servers stand for the instances."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import health
from ansible_collections.procfile.systemd.plugins.module_utils.health import check_now
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import (
    Instances,
    free_base_port,
)

CHECK = {"path": "/up", "timeout": 60, "status": None}


@pytest.fixture(name="web")
def fixture_web():
    """web.1 answers 200, web.2 answers 500, web.3 is not listening."""
    base = free_base_port(3)
    servers = Instances(base, [1, 2], statuses={2: 500})
    yield base
    servers.close()


def test_each_instance_is_probed_once_and_says_why_it_fails(web):
    found = check_now("shop", web, {"web": [1, 2, 3]}, {"web": CHECK})
    assert found["shop-web@1.service"] == (True, None)
    assert found["shop-web@2.service"] == (False, "HTTP status 500")
    ok, why = found["shop-web@3.service"]
    assert not ok and why  # the connection error, as urllib words it


def test_only_checked_types_are_probed_and_star_stands_for_the_others(web):
    found = check_now("shop", web, {"web": [1], "worker": [2], "clock": [3]},
                      {"*": CHECK, "clock": None})
    assert sorted(found) == ["shop-web@1.service", "shop-worker@2.service"]
    assert check_now("shop", web, {"web": [1, 2]}, {}) == {}


def test_an_exact_status_is_wanted_when_given(web):
    found = check_now("shop", web, {"web": [1, 2]}, {"web": dict(CHECK, status=500)})
    assert found["shop-web@1.service"] == (False, "HTTP status 200")
    assert found["shop-web@2.service"] == (True, None)


def test_the_instances_are_probed_side_by_side(monkeypatch):
    """A hung instance costs the timeout once, not once per instance: every probe is under
    way before any answers (each waits for all the others; one at a time, the first would
    wait in vain). No bound on how long it takes: a loaded machine is no failure."""
    instances = [1, 2, 3, 4]
    everyone = threading.Barrier(len(instances), timeout=30)

    def probe(url, timeout):
        everyone.wait()
        return None, "timed out"

    monkeypatch.setattr(health, "probe", probe)
    found = health.check_now("shop", 5000, {"web": instances}, {"web": CHECK}, timeout=60)
    assert found == dict(("shop-web@%d.service" % n, (False, "timed out")) for n in instances)
