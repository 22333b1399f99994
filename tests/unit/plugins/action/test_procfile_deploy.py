"""The deploy action's own logic: arguments that templated to `omit` are dropped, as a
task's are (the steps themselves are proved on booted systemd by the molecule scenarios)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.action.procfile_deploy import _without_omitted

OMIT = "__omit_place_holder__0123"


def test_omitted_values_are_dropped_at_every_depth():
    value = {"path": OMIT, "content": "web: x", "nested": {"env": OMIT, "keep": [OMIT, 1]}}
    assert _without_omitted(value, OMIT) == {"content": "web: x", "nested": {"keep": [OMIT, 1]}}


def test_without_an_omit_token_nothing_is_dropped():
    assert _without_omitted({"a": "", "b": None}, None) == {"a": "", "b": None}
