"""A count variable that names no type is a warning naming the type it probably meant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.count_typos import count_typos, edits


@pytest.mark.parametrize("a, b, expected", [
    ("worker", "worker", 0),
    ("wroker", "worker", 1),     # two neighbours swapped: one edit
    ("worke", "worker", 1),
    ("workers", "worker", 1),
    ("wokrer", "worker", 1),
    ("wokrre", "worker", 2),
    ("wrkr", "worker", 2),
    ("sidekiq", "worker", 6),
    ("", "web", 3),
    ("ab", "ba", 1),
    ("abc", "ca", 3),            # no edit of a substring already edited (OSA, not Damerau)
])
def test_edits(a, b, expected):
    assert edits(a, b) == expected
    # The same in both directions.
    reverse = dict(a=b, b=a)
    assert edits(**reverse) == expected


def warned(names, types=("web", "worker", "admin-worker")):
    return count_typos(list(types), names)


def test_a_near_miss_names_the_type_and_the_types():
    assert warned(["wroker_count"]) == [
        "wroker_count is set, but the Procfile has no type 'wroker', so it scales nothing: "
        "did you mean worker_count (type worker)? The types: web, worker, admin-worker"]


def test_a_type_with_a_dash_is_matched_by_its_variable():
    [warning] = warned(["admin_wroker_count"])
    assert "did you mean admin_worker_count (type admin-worker)?" in warning


@pytest.mark.parametrize("name", [
    "web_count", "worker_count", "admin_worker_count",   # the types' own
    "procfile_default_count", "procfile_max_count", "_procfile_count",  # the role's
    "retry_count", "sidekiq_count", "count", "worker_counts", "worker-count",  # unrelated
])
def test_no_warning(name):
    assert warned([name]) == []


def test_a_short_type_is_not_matched_by_any_name_as_short():
    # Two edits from a two-letter type would be every two-letter word.
    assert count_typos(["db"], ["xy_count"]) == []
    assert count_typos(["db"], ["dv_count"]) != []


def test_the_closest_type_is_named_once_per_name():
    warnings = count_typos(["web", "webs"], ["wbes_count", "wbes_count"])
    assert len(warnings) == 1 and "did you mean webs_count (type webs)?" in warnings[0]
