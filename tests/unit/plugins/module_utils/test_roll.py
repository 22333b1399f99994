"""Rolling restarts inside a host: batch sizes from max_unavailable, and the rounds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import roll as roll_module
from ansible_collections.procfile.systemd.plugins.module_utils.roll import (
    batch_size,
    max_unavailable_error,
    plan_rounds,
    rolling_restart,
)

CHECK = {"path": "/", "timeout": 60, "status": None}


@pytest.mark.parametrize("value, count, checked, expected", [
    (None, 3, True, 1),      # a checked type rolls one at a time by default
    (None, 3, False, 3),     # nothing tells an unchecked roll that an instance is back
    (2, 3, True, 2),
    (5, 3, True, 3),         # never more than there are
    ("2", 3, False, 2),
    ("25%", 8, True, 2),
    ("25%", 3, True, 1),     # rounded down, at least one
    ("100%", 3, True, 3),    # today's all-at-once
    ("50%", 5, False, 2),
    (None, 0, True, 0),
])
def test_batch_size(value, count, checked, expected):
    assert batch_size(value, count, checked) == expected


@pytest.mark.parametrize("value", [1, "1", 7, "3", "1%", "100%", " 25 % ", None])
def test_valid_max_unavailable(value):
    assert max_unavailable_error(value) is None


@pytest.mark.parametrize("value, words", [
    (0, "0 would never restart"), ("0", "a number of instances, 1 or more (0 would never restart)"),
    (-1, "1 or more"), ("1.5", "a number of instances (1 or more) or a percentage like '25%' (1% to 100%)"),
    ("0%", "from 1% to 100%"), ("101%", "from 1% to 100%"), ("half", "a percentage like"),
    (True, "a number of instances"), (1.5, "a number of instances"), ([1], "a percentage like"),
])
def test_invalid_max_unavailable_says_what_is_allowed(value, words):
    assert words in max_unavailable_error(value)


def test_rounds_take_batch_i_of_every_type_together():
    rounds = plan_rounds({"web": [3, 1, 2], "worker": [4, 5, 6, 7], "clock": [8]},
                         {"web": CHECK}, {"worker": 2})
    assert rounds == [
        {"web": [1], "worker": [4, 5], "clock": [8]},
        {"web": [2], "worker": [6, 7]},
        {"web": [3]},
    ]


def test_the_star_entry_stands_for_types_not_named():
    # A restart does not read the Procfile: "*" holds the defaults for the other types.
    rounds = plan_rounds({"web": [1, 2], "worker": [3, 4]}, {"*": CHECK, "worker": None},
                         {"*": 1})
    assert rounds == [{"web": [1], "worker": [3]}, {"web": [2], "worker": [4]}]


def test_all_at_once_is_one_round():
    assert plan_rounds({"web": [1, 2, 3]}, {"web": CHECK}, {"web": "100%"}) == \
        [{"web": [1, 2, 3]}]
    assert plan_rounds({}, {}, {}) == []


class RecordingHost(object):
    """systemctl calls, recorded (the roll's only use of the host)."""

    def __init__(self):
        self.calls = []

    def run(self, *args):
        self.calls.append(args)


def fake_checks(unhealthy_round=None):
    """wait_healthy: every batch healthy, but the instances of UNHEALTHY_ROUND (a batch)."""
    def wait_healthy(_module, app, _base_port, batch, _checks):
        units = ["%s-%s@%d.service" % (app, t, n) for t, ns in sorted(batch.items()) for n in ns]
        if batch == unhealthy_round:
            return [], units, "%s did not answer" % " ".join(units)
        return units, [], None
    return wait_healthy


def test_a_roll_reports_every_round_it_restarted(monkeypatch):
    monkeypatch.setattr(roll_module, "wait_healthy", fake_checks())
    host, drained = RecordingHost(), []
    result = rolling_restart(None, host, "shop", 5000, {"web": [1, 2, 3]}, {"web": CHECK}, {},
                             before_round=drained.append)
    units = ["shop-web@%d.service" % n for n in (1, 2, 3)]
    assert drained == [{"web": [1]}, {"web": [2]}, {"web": [3]}]
    assert host.calls == [("restart", "--", unit) for unit in units]
    assert result == dict(restarted=units, healthy=units, unhealthy=[], not_restarted=[],
                          msg=None, rounds=3)


def test_a_roll_stops_at_the_first_unhealthy_round_and_names_the_rest(monkeypatch):
    monkeypatch.setattr(roll_module, "wait_healthy", fake_checks({"web": [2]}))
    host = RecordingHost()
    result = rolling_restart(None, host, "shop", 5000, {"web": [1, 2, 3, 4]}, {"web": CHECK}, {})
    assert host.calls == [("restart", "--", "shop-web@1.service"), ("restart", "--", "shop-web@2.service")]
    assert result == dict(
        restarted=["shop-web@1.service", "shop-web@2.service"], healthy=["shop-web@1.service"],
        unhealthy=["shop-web@2.service"], not_restarted=["shop-web@3.service", "shop-web@4.service"],
        msg="shop-web@2.service did not answer; the rolling restart stopped there: 2 instance(s) "
            "not restarted keep running the previous version (shop-web@3.service shop-web@4.service)",
        rounds=4)
