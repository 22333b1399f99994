"""Scaling keeps other types' numbers, takes the lowest free ones, removes the highest."""

from procfile_testlib import host_snapshot, instances, playbook, recap_changed


def numbers(host):
    return dict((t, instances(host, "shop", t)) for t in ("web", "worker", "scheduler"))


def enabled(host):
    return dict((t, instances(host, "shop", t, "enabled")) for t in ("web", "worker", "scheduler"))


def test_scale_2_5_1_0_and_back(host):
    start = numbers(host)
    web, scheduler = start["web"], start["scheduler"]
    workers = start["worker"]
    assert len(workers) == 3
    others = set(web) | set(scheduler)

    playbook("shop.yml", shop_worker_count=2)
    assert numbers(host) == {"web": web, "worker": workers[:2], "scheduler": scheduler}
    assert enabled(host) == numbers(host)
    assert instances(host, "shop", "worker", "loaded") == workers[:2], "surplus left loaded"

    playbook("shop.yml", shop_worker_count=5)
    now = numbers(host)
    free = [n for n in range(1, 20) if n not in others and n not in workers[:2]][:3]
    assert now == {"web": web, "worker": sorted(workers[:2] + free), "scheduler": scheduler}
    assert enabled(host) == now

    playbook("shop.yml", shop_worker_count=1)
    assert numbers(host)["worker"] == workers[:1]
    playbook("shop.yml", shop_worker_count=0)
    assert numbers(host) == {"web": web, "worker": [], "scheduler": scheduler}
    assert enabled(host)["worker"] == []

    playbook("shop.yml")
    assert len(numbers(host)["worker"]) == 3
    assert numbers(host)["web"] == web


def test_a_count_variable_with_a_typo_warns_and_scales_nothing(host):
    playbook("shop.yml")
    workers = instances(host, "shop", "worker")
    _rc, out = playbook("shop.yml", wroker_count=len(workers) + 2)
    # ansible-core before 2.19 wraps warnings, also at hyphens: compare without spaces.
    said = "".join(out.split())
    assert "wroker_countisset,buttheProcfilehasnotype'wroker',soitscalesnothing" in said, out[-3000:]
    assert "didyoumeanworker_count(typeworker)?" in said, out[-3000:]
    assert instances(host, "shop", "worker") == workers
    # Correctly named counts (the play's worker_count, -e shop_worker_count) do not warn.
    _rc, out = playbook("shop.yml", shop_worker_count=len(workers))
    assert "scales nothing" not in out and "scalesnothing" not in "".join(out.split())


def test_check_diff_reports_without_changing(host):
    before = numbers(host)
    snapshot = host_snapshot(host)
    # More workers, a changed unit and a changed secret: all reported, none made.
    rc, out = playbook("shop.yml", "--check", "--diff", shop_worker_count=5, shop_secret="in-check-mode",
                       procfile_process_settings={"worker": {"stop_timeout": 12}})
    assert "shop instances" in out and "worker:" in out
    assert "shop-worker@" in out and "TimeoutStopSec=12" in out
    assert "SECRET_TOKEN=(secret, new value)" in out and "in-check-mode" not in out
    assert recap_changed(out) >= 1
    assert numbers(host) == before
    assert host_snapshot(host) == snapshot


def test_removed_type_is_stopped_disabled_and_its_template_removed(host):
    host.check_output("cp /srv/shop/Procfile.no-scheduler /srv/shop/Procfile")
    try:
        playbook("shop.yml")
        assert not host.file("/etc/systemd/system/shop-scheduler@.service").exists
        assert instances(host, "shop", "scheduler", "loaded") == []
        assert instances(host, "shop", "scheduler", "enabled") == []
        assert host.run("systemctl cat shop-scheduler@1.service").rc != 0
    finally:
        host.check_output("cp /srv/shop/Procfile.all /srv/shop/Procfile")
    playbook("shop.yml")
    assert len(instances(host, "shop", "scheduler")) == 1
    rc, out = playbook("shop.yml")
    assert recap_changed(out) == 0


def test_a_changed_type_restarts_exactly_its_instances(host, shop_pids):
    before = shop_pids()
    rc, out = playbook("shop.yml", "-e", '{"procfile_process_settings": {"worker": {"stop_timeout": 11}}}')
    after = shop_pids()
    assert sorted(after) == sorted(before)
    for unit, pid in before.items():
        if unit.startswith("shop-worker@"):
            assert after[unit] != pid, unit
        else:
            assert after[unit] == pid, unit
    assert host.check_output("systemctl show -p TimeoutStopUSec --value shop-worker@%s.service"
                             % instances(host, "shop", "worker")[0]) == "11s"
    playbook("shop.yml")
    rc, out = playbook("shop.yml")
    assert recap_changed(out) == 0
