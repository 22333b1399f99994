"""The release phase runs once per changing deploy; a failing one restarts nothing."""

from procfile_testlib import playbook, recap_changed

RELEASES = "/var/lib/shop-data/releases"


def releases(host):
    return len(host.file(RELEASES).content_string.splitlines())


def test_release_ran_once_for_converge_and_idempotence(host):
    # converge ran it; idempotence (an unchanged run) did not.
    before = releases(host)
    assert before == 1
    rc, out = playbook("shop.yml")
    assert recap_changed(out) == 0, out[-3000:]
    assert releases(host) == before


def test_new_revision_runs_the_release_then_restarts_every_instance(host, shop_pids):
    """New code runs once deployed (issue #21): the release first, then every running
    instance restarts; the same revision again changes nothing."""
    before, pids = releases(host), shop_pids()
    playbook("shop.yml", shop_revision="r2")
    assert releases(host) == before + 1
    after = shop_pids()
    assert sorted(after) == sorted(pids)
    assert all(after[unit] != pid for unit, pid in pids.items()), (pids, after)
    _rc, out = playbook("shop.yml", shop_revision="r2")
    assert recap_changed(out) == 0 and shop_pids() == after


def test_failing_release_stops_the_deploy_and_restarts_nothing(host, shop_pids):
    before, pids = releases(host), shop_pids()
    rc, out = playbook("shop.yml", check=False, shop_revision="r3", shop_fail_release="1")
    assert rc != 0
    assert "release failed on purpose: the migration broke" in out
    assert releases(host) == before
    assert shop_pids() == pids
    # Fixed: the next deploy runs the release and then restarts the instances.
    playbook("shop.yml", shop_revision="r3")
    assert releases(host) == before + 1
    assert all(shop_pids()[unit] != pid for unit, pid in pids.items())
    rc, out = playbook("shop.yml", shop_revision="r3")
    assert recap_changed(out) == 0
    assert releases(host) == before + 1
