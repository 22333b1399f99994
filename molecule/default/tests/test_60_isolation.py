"""Apps sharing a unit prefix are isolated; conflicts and bad input change nothing."""

import pytest
from procfile_testlib import host_snapshot, instances, playbook, props


def neighbours_state(host):
    """Units of the apps whose names start like shop's: shop-admin and shop-web."""
    units = ["shop-admin-web@1.service", "shop-admin-worker@2.service",
             "shop-admin-worker@3.service", "shop-web-worker@1.service", "shop-web-worker@2.service"]
    return dict((u, props(host, u, "MainPID", "ActiveState")) for u in units)


def assert_refused(host, play, messages, **extra_vars):
    """The run fails, says MESSAGES, and the collection's whole footprint on the host
    (files, accounts, units and their processes) is exactly as before."""
    snapshot = host_snapshot(host)
    rc, out = playbook(play, check=False, **extra_vars)
    assert rc != 0
    # The yaml callback folds long messages at spaces: compare with whitespace collapsed.
    folded = " ".join(out.split())
    for message in messages:
        assert " ".join(message.split()) in folded, out[-3000:]
    assert host_snapshot(host) == snapshot


def test_scaling_shop_to_zero_leaves_shop_admin_shop_web_and_hand_written_units(host):
    playbook("deploy.yml", procfile_app="shop-web", procfile_root="/srv/shop-web",
             procfile_base_port=6500, procfile_scale={"worker": 2})
    before = neighbours_state(host)
    assert all(p["ActiveState"] == "active" for p in before.values())
    playbook("shop.yml", shop_worker_count=0, shop_web_count=0)
    assert instances(host, "shop", "worker", "loaded") == []
    assert instances(host, "shop", "web", "loaded") == []
    assert neighbours_state(host) == before
    assert host.file("/etc/systemd/system/shop-foo@.service").exists
    playbook("shop.yml")
    assert len(instances(host, "shop", "worker")) == 3
    assert neighbours_state(host) == before


def test_unit_name_clash_between_apps_is_refused(host):
    playbook("deploy.yml", procfile_app="clash", procfile_root="/srv/clash", procfile_base_port=8000)
    assert host.file("/etc/systemd/system/clash-admin-worker@.service").exists
    assert_refused(host, "deploy.yml", [
        "clash-admin-worker@.service already belongs to app 'clash' (type 'admin-worker')"],
        procfile_app="clash-admin", procfile_root="/srv/clash-admin", procfile_base_port=8100)
    assert not host.user("clash-admin").exists


def test_port_clash_with_another_app_is_refused(host):
    assert_refused(host, "shop-admin.yml", ["PORT clash", "app 'shop-admin'", "app 'shop'"],
                   shop_admin_base_port=5000)


def test_hand_written_unit_is_never_overwritten(host):
    host.check_output("mkdir -p /srv/shopfoo && printf 'foo: sleep 100\\n' > /srv/shopfoo/Procfile")
    assert_refused(host, "deploy.yml",
                   ["shop-foo@.service exists and was not written by procfile.systemd"],
                   procfile_app="shop", procfile_root="/srv/shopfoo")


@pytest.mark.parametrize("extra, message", [
    ({"shop_worker_count": -1}, "worker_count is -1: a count must be a whole number >= 0"),
    ({"shop_worker_count": "3.5"}, "worker_count is '3.5'"),
    ({"shop_worker_count": 5000}, "more than procfile_max_count (1000)"),
    ({"procfile_scale": {"cron": 1}}, "procfile_scale names 'cron', which the Procfile does not have"),
    ({"procfile_app": "Shop!"}, "procfile_app 'Shop!'"),
    ({"procfile_root": "/srv/../etc"}, "procfile_root '/srv/../etc'"),
    ({"procfile_user": "root"}, "procfile_user is root"),
    ({"procfile_environment": {"BAD-NAME": "x"}}, "procfile_environment name 'BAD-NAME'"),
    ({"procfile_process_settings": {"worker": {"stop_signal": "BOGUS"}}}, "stop_signal 'BOGUS'"),
    ({"procfile_root": "/srv/nowhere"}, "no such file or directory: /srv/nowhere"),
    ({"procfile_after": ["not a unit"]}, "procfile_after: 'not a unit' is not a systemd unit name"),
    ({"procfile_after": ["nope.service"], "procfile_after_strict": True},
     "procfile_after names unit(s) this host does not have: nope.service"),
    ({"procfile_environment": {"PORT": "80"}}, "procfile_environment.PORT: set by procfile.systemd"),
    ({"procfile_shell": "zsh"}, "procfile_shell 'zsh': the absolute path of a POSIX shell"),
    ({"procfile_shell": "/usr/local/bin/bash"},
     "procfile_shell '/usr/local/bin/bash': this host has no such shell"),
    ({"procfile_process_settings": {"worker": {"shell": "/opt/bash"}}},
     "procfile_process_settings['worker'].shell '/opt/bash': this host has no such shell"),
])
def test_bad_input_fails_clearly_and_changes_nothing(host, extra, message):
    assert_refused(host, "shop.yml", [message], **extra)


def test_bad_procfile_names_file_line_and_rule(host):
    host.check_output("mkdir -p /srv/broken && printf 'web: a\\nweb b\\n' > /srv/broken/Procfile")
    assert_refused(host, "deploy.yml", ["/srv/broken/Procfile, line 2: expected 'NAME: COMMAND'",
                                        "[rule: syntax]"],
                   procfile_app="broken", procfile_root="/srv/broken")
