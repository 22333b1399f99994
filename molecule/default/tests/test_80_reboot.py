"""After a reboot, enabled instances are back and disabled ones stay down."""

from procfile_testlib import instances, playbook, props, reboot


def test_reboot_brings_back_enabled_instances_only(host):
    playbook("shop.yml", shop_worker_count=2)
    workers = instances(host, "shop", "worker")
    wanted = {"shop": {t: instances(host, "shop", t) for t in ("web", "worker", "scheduler")},
              "shop-admin": {t: instances(host, "shop-admin", t) for t in ("web", "worker")}}
    # An instance systemd knows but that is not enabled: it must stay down.
    host.check_output("systemctl start shop-worker@99.service")
    reboot(host)
    for app, types in wanted.items():
        for t, ns in types.items():
            assert instances(host, app, t) == ns, (app, t)
    assert props(host, "shop-worker@99.service", "ActiveState")["ActiveState"] == "inactive"
    assert instances(host, "shop", "worker") == workers
    failed = host.run("systemctl list-units --state=failed --plain --no-legend 'shop*'").stdout
    assert failed.strip() == ""
    playbook("shop.yml")
