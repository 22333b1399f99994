"""Rolling restarts inside a host: batch sizes from max_unavailable, and the rounds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.roll import (
    batch_size,
    max_unavailable_error,
    plan_rounds,
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


@pytest.mark.parametrize("value", [1, 7, "3", "1%", "100%", " 25 % ", None])
def test_valid_max_unavailable(value):
    assert max_unavailable_error(value) is None


@pytest.mark.parametrize("value, words", [
    (0, "0 would never restart"), ("0", "0 would never restart"), (-1, "1 or more"),
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
