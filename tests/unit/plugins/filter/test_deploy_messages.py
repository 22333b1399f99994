"""The deploy's messages built on the controller: the refusal beside another run and the
summary of the instances each host runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.filter.procfile import instances_summary
from ansible_collections.procfile.systemd.plugins.plugin_utils.controller import lock_refusal


def test_the_refusal_names_the_app_the_holder_and_the_lock_file():
    msg = lock_refusal("shop", {"holder_description": "run 42 on ctl", "path": "/run/procfile-systemd/shop.lock"})
    assert msg.startswith("Another run is changing app 'shop' on this host: run 42 on ctl.")
    assert "changed nothing here" in msg
    assert msg.endswith("remove /run/procfile-systemd/shop.lock on this host.")


def test_the_refusal_without_a_result_still_reads():
    assert "remove its lock file on this host" in lock_refusal("shop", None)


def test_one_line_per_host_with_its_instances_and_the_pause_first():
    results = [{"instances": {"web": [1, 2], "worker": [3]}, "paused": False},
               {"instances": {"web": []}, "paused": True, "msg": "shop is paused: units updated, no instance started"},
               {},
               {"failed": True, "msg": "boom"}]
    assert instances_summary(["a", "b", "c", "d"], "shop", results) == [
        "a: shop: web=1,2, worker=3",
        "b: shop is paused: units updated, no instance started",
        "b: shop: web=",
    ]


def test_the_lock_is_left_where_the_install_took_it_and_no_apply_gave_that_one_back():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import lock_left
    took = {"lock_tried": True, "lock": {"nonce": "n1"}}
    hosts = [
        {"inventory_hostname": "done", "__procfile_install": took, "__procfile_apply": {"unlocked_nonce": "n1"}},
        {"inventory_hostname": "apply-failed", "__procfile_install": took, "__procfile_apply": {"failed": True}},
        {"inventory_hostname": "release-failed", "__procfile_install": took},
        {"inventory_hostname": "other-acquisition", "__procfile_install": took, "__procfile_apply": {"unlocked_nonce": "n0"}},
        {"inventory_hostname": "refused-before-the-lock", "__procfile_install": {"lock_tried": False, "failed": True}},
        {"inventory_hostname": "lock-refused", "__procfile_install": {"lock_tried": True, "failed": True, "acquired": False}},
        {"inventory_hostname": "never-ran"},
    ]
    assert lock_left(hosts) == ["apply-failed", "release-failed", "other-acquisition"]
