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


def test_new_revision_runs_the_release_without_restarting(host, shop_pids):
    before, pids = releases(host), shop_pids()
    playbook("shop.yml", shop_revision="r2")
    assert releases(host) == before + 1
    assert shop_pids() == pids


def test_failing_release_stops_the_deploy_and_restarts_nothing(host, shop_pids):
    before, pids = releases(host), shop_pids()
    rc, out = playbook("shop.yml", check=False, shop_revision="r3", shop_fail_release="1")
    assert rc != 0
    assert "release failed on purpose: the migration broke" in out
    assert releases(host) == before
    assert shop_pids() == pids
    # Fixed: the next deploy runs the release and then applies the change.
    playbook("shop.yml", shop_revision="r3")
    assert releases(host) == before + 1
    rc, out = playbook("shop.yml", shop_revision="r3")
    assert recap_changed(out) == 0
    assert releases(host) == before + 1
