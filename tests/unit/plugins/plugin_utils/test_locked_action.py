"""The controller's half of the lock protocol every locking module shares (run_locked):
a gone run's lock is taken over with one more call, a live run's refuses this one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.procfile.systemd.plugins.plugin_utils.locked_action import run_locked

OWNER = {"token": "me", "controller": "here"}


def holder(age):
    return {"token": "them", "controller": "another-controller", "boot_id": "b", "pid": 7,
            "acquired_at": time.time() - age}


class Module(object):
    """A module that reports the lock held by HOLDERS[0], then HOLDERS[1], ... (None: taken)."""

    def __init__(self, *holders):
        self.holders = list(holders)
        self.calls = []

    def __call__(self, args):
        self.calls.append(dict(args))
        held = self.holders.pop(0)
        if held is None:
            return {"changed": True, "acquired": True}
        return {"changed": False, "acquired": False, "holder": held, "path": "/run/procfile-systemd/shop.lock",
                "holder_description": "ansible-playbook pid 7 on another-controller"}


def args(**extra):
    return dict({"app": "shop", "lock_owner": OWNER, "lock_timeout": 60}, **extra)


def test_a_free_lock_is_one_call():
    module = Module(None)
    assert run_locked(module, args()) == {"changed": True, "acquired": True}
    assert len(module.calls) == 1


def test_a_gone_runs_lock_is_taken_over_by_a_second_call_naming_it():
    module = Module(holder(age=61), None)
    result = run_locked(module, args())
    assert result["acquired"] and not result.get("failed")
    assert [c.get("lock_steal") for c in module.calls] == [None, "them"]


def test_a_live_runs_lock_refuses_the_run_with_one_call_naming_the_holder():
    module = Module(holder(age=59))
    result = run_locked(module, args())
    assert result["failed"] and len(module.calls) == 1
    assert result["msg"].startswith("Another run is changing app 'shop' on this host: "
                                    "ansible-playbook pid 7 on another-controller.")
    assert "/run/procfile-systemd/shop.lock" in result["msg"]


def test_a_takeover_that_loses_the_race_refuses_the_run():
    # Another run took the lock between the two calls: that one is live.
    module = Module(holder(age=61), holder(age=0))
    result = run_locked(module, args())
    assert result["failed"] and len(module.calls) == 2


def test_without_lock_owner_the_result_is_the_modules():
    module = Module(holder(age=0))
    result = run_locked(module, {"app": "shop"})
    assert not result.get("failed") and result["acquired"] is False


def test_a_module_failure_is_left_as_it_is():
    result = run_locked(lambda a: {"failed": True, "msg": "boom", "acquired": False}, args())
    assert result == {"failed": True, "msg": "boom", "acquired": False}
