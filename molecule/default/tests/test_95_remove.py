"""--tags remove: shop goes from the host, whole and only shop, refused without the
confirmation, previewed by --check, idempotent, still gone after a reboot, and completed
after a run killed halfway. Ends with shop deployed again, as the earlier tests left it."""

import re

from procfile_testlib import (
    background_playbook,
    host_snapshot,
    instances,
    kill_run,
    playbook,
    props,
    reboot,
    recap_changed,
    wait_for,
)

UNIT_DIR = "/etc/systemd/system"
NEIGHBOUR_PATTERNS = "'shop-admin-*' 'shop-web-*'"


def folded(out):
    """The yaml callback folds long messages at spaces: compare with whitespace collapsed."""
    return " ".join(out.split())


def shop_unit_files(host):
    """The unit files that carry shop's ownership marker (exactly X-ProcfileApp=shop).
    Every caller reads them while shop is deployed: an empty list (or a grep that failed
    rather than found nothing) would let the checks built on it pass with nothing checked."""
    res = host.run("grep -lx 'X-ProcfileApp=shop' %s/*.service %s/*.target", UNIT_DIR, UNIT_DIR)
    assert res.rc == 0, "grep found no unit of shop (rc %d): %s" % (res.rc, res.stderr)
    files = sorted(path.rsplit("/", 1)[1] for path in res.stdout.split())
    assert "shop.target" in files and "shop-web@.service" in files, files
    return files


def shop_name_re(unit_files):
    """Names of shop's units, their instances, and their .wants directories and links."""
    alternatives = []
    for name in unit_files:
        if name.endswith("@.service"):
            alternatives.append(re.escape(name[:-len("@.service")]) + r"@[0-9]*\.service")
        else:
            alternatives.append(re.escape(name))
    return re.compile(r"^(%s)(\.wants)?$" % "|".join(alternatives))


def neighbours(host):
    """MainPID of every running unit of shop-admin and shop-web (apps sharing shop's prefix)."""
    out = host.check_output("systemctl list-units --plain --no-legend --full --state=running "
                            + NEIGHBOUR_PATTERNS)
    units = [line.split()[0] for line in out.splitlines() if line.strip()]
    return dict((u, props(host, u, "MainPID")["MainPID"]) for u in units)


def leftovers(host, names):
    """Everything of shop still on the host: files, links, units systemd knows, processes."""
    found = []
    out = host.check_output("find %s -printf '%%P\\n'", UNIT_DIR)
    found += ["file %s" % p for p in out.splitlines() if names.match(p.rsplit("/", 1)[-1])]
    out = host.check_output("systemctl list-units --all --plain --no-legend --full 'shop*'")
    found += ["loaded %s" % line.split()[0] for line in out.splitlines()
              if line.split() and names.match(line.split()[0])]
    out = host.check_output("systemctl list-unit-files --no-legend --full 'shop*'")
    found += ["unit file %s" % line.split()[0] for line in out.splitlines()
              if line.split() and names.match(line.split()[0])]
    for path in ("/etc/procfile-systemd/shop", "/var/lib/procfile-systemd/shop",
                 "/run/procfile-systemd/shop.lock"):
        if host.file(path).exists:
            found.append("path %s" % path)
    # A process of any of shop's units (cgroup v1 or v2 paths end in the unit's name).
    out = host.run("cat /proc/[0-9]*/cgroup 2>/dev/null").stdout
    found += sorted(set("process in %s" % m for m in re.findall(r"/([^/\s]+\.service)$", out, re.M)
                        if names.match(m)))
    return found


def deploy_all(host):
    """shop, shop-admin and shop-web deployed: one run of the three plays (each the same
    deploy as its own run would be; a failure of any fails the run)."""
    playbook("shops.yml")
    assert host.file("%s/shop-foo@.service" % UNIT_DIR).exists


def assert_gone(host, names):
    assert wait_for(lambda: not leftovers(host, names), timeout=60), leftovers(host, names)


def test_remove_is_refused_without_the_confirmation_and_changes_nothing(host):
    deploy_all(host)
    snapshot = host_snapshot(host)
    for extra in ({}, {"procfile_remove_confirm": "shop-admin"}):
        rc, out = playbook("shop.yml", "--tags", "remove", check=False, **extra)
        assert rc != 0
        # (The yaml callback may quote the message, doubling its quotes: none compared.)
        assert "Refusing to remove app" in folded(out), out[-3000:]
        assert "-e procfile_remove_confirm=shop" in folded(out), out[-3000:]
        assert host_snapshot(host) == snapshot


def test_check_mode_reports_what_would_go_and_changes_nothing(host):
    deploy_all(host)
    files = shop_unit_files(host)
    assert "shop.target" in files and "shop-worker@.service" in files
    snapshot = host_snapshot(host)
    rc, out = playbook("shop.yml", "--tags", "remove", "--check", "--diff",
                       procfile_remove_confirm="shop")
    assert "would remove app shop from this host" in folded(out), out[-3000:]
    for name in files:
        assert "%s/%s" % (UNIT_DIR, name) in out, out[-3000:]
    assert "/etc/procfile-systemd/shop/environment" in out
    assert "shop-admin-" not in out and "shop-foo" not in out
    assert host_snapshot(host) == snapshot


def test_remove_takes_shop_and_only_shop_off_the_host(host):
    deploy_all(host)
    files = shop_unit_files(host)
    names = shop_name_re(files)
    before = neighbours(host)
    assert before, "shop-admin and shop-web should be running"
    assert not host.run("getent passwd shop").rc, "shop's account should exist"

    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop",
                       procfile_remove_user=True)
    assert recap_changed(out) >= 1
    assert "removed app shop from this host" in folded(out), out[-3000:]
    assert_gone(host, names)
    # The account the collection created, and its home, went; code and data stay.
    assert host.run("getent passwd shop").rc != 0
    assert not host.file("/var/lib/shop").exists
    assert host.file("/srv/shop/Procfile").exists
    # The data stays, given to root with everything in it: no file is left to the removed
    # account's number, which useradd hands to the next account it makes.
    assert host.file("/var/lib/shop-data").is_directory
    owners = host.check_output("find /var/lib/shop-data -printf '%U:%G\\n' | sort -u").split()
    assert owners == ["0:0"], owners
    # What becomes of kept data is the user's call (chown -R to the app's new account, or
    # remove it); here it goes, so that shop deployed again starts with data of its own.
    host.check_output("rm -rf /var/lib/shop-data")
    # Apps that share shop's prefix run on, untouched; the hand-written unit stays.
    assert neighbours(host) == before
    assert host.file("%s/shop-foo@.service" % UNIT_DIR).exists
    for name in ("shop-admin.target", "shop-web.target"):
        assert props(host, name, "UnitFileState")["UnitFileState"] == "enabled"

    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop",
                       procfile_remove_user=True)
    assert recap_changed(out) == 0
    assert "nothing of app shop on this host" in out, out[-3000:]
    assert neighbours(host) == before

    # Nothing of shop comes back at boot; its neighbours do (with new PIDs).
    reboot(host)
    assert leftovers(host, names) == []
    assert wait_for(lambda: set(neighbours(host)) == set(before), timeout=120), neighbours(host)
    assert host.file("%s/shop-foo@.service" % UNIT_DIR).exists


# Run on the host by the test: SIGKILL the removal's module process (the parent of the
# `systemctl stop` it waits on) and that systemctl, if the controller's kill left them.
KILL_THE_MODULE = r"""
pid=$(pgrep -o -f 'systemctl stop -- .*shop-worker@') || exit 0
parent=$(ps -o ppid= -p "$pid" | tr -d ' ')
kill -KILL "$parent" "$pid" 2>/dev/null || true
"""


def test_a_removal_killed_while_it_stops_the_instances_is_completed_by_the_next_run(host):
    """A real kill: shop's workers sit out SIGTERM, so stopping them takes their whole
    30 s stop timeout; the run is SIGKILLed, on the controller and on the host, while
    it waits for them."""
    deploy_all(host)
    playbook("shop.yml", procfile_process_settings={"worker": {"stop_timeout": 30}})
    files = shop_unit_files(host)
    names = shop_name_re(files)
    before = neighbours(host)
    workers = ["shop-worker@%d.service" % n for n in instances(host, "shop", "worker")]
    assert workers

    def stopping():
        return any(props(host, w, "ActiveState")["ActiveState"] == "deactivating" for w in workers)

    host.run_test("touch /var/lib/shop-data/ignore-term")
    try:
        run = background_playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop")
        assert wait_for(stopping, timeout=120), "the removal did not begin to stop the workers"
        output = kill_run(run)
        host.run_test("bash -c %s", KILL_THE_MODULE)
        # Halfway: the units, the secrets and the killed run's lock are all still there.
        assert "removed app shop" not in output
        assert shop_unit_files(host) == files
        assert host.file("/etc/procfile-systemd/shop/environment").exists
        assert host.file("/run/procfile-systemd/shop.lock").exists
    finally:
        host.run_test("rm -f /var/lib/shop-data/ignore-term")

    # The next run takes the dead run's lock over, waits for the stop the killed run
    # began (the workers end at their stop timeout), and finishes the removal.
    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop")
    assert "took over the lock of app 'shop'" in folded(out), out[-3000:]
    assert "removed app shop from this host" in folded(out), out[-3000:]
    assert_gone(host, names)
    assert neighbours(host) == before
    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop")
    assert recap_changed(out) == 0 and "nothing of app shop on this host" in out


def test_a_removal_that_stopped_after_the_secrets_went_is_completed_by_the_next_run(host):
    """A later prefix of the steps: the instances stopped and the environment file
    deleted, the units still there (made by hand: a kill cannot be placed there
    reliably), and the next run finishes it."""
    deploy_all(host)
    files = shop_unit_files(host)
    names = shop_name_re(files)
    before = neighbours(host)
    templates = " ".join("'%s*'" % f[:-len(".service")] for f in files if f.endswith("@.service"))
    host.run_test("systemctl stop " + templates)
    assert wait_for(lambda: not host.check_output(
        "systemctl list-units --plain --no-legend --full --state=active " + templates).strip(),
        timeout=60)
    host.run_test("rm -f /etc/procfile-systemd/shop/environment")

    # With the app's name alone: a removal does not need procfile_root (nor the Procfile).
    rc, out = playbook("deploy.yml", "--tags", "remove", procfile_app="shop",
                       procfile_remove_confirm="shop")
    assert recap_changed(out) >= 1 and "removed app shop from this host" in folded(out)
    assert_gone(host, names)
    assert neighbours(host) == before
    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop")
    assert recap_changed(out) == 0 and "nothing of app shop on this host" in out

    # shop back, as the earlier tests left it.
    playbook("shop.yml")
    assert shop_unit_files(host) == files
    assert wait_for(lambda: props(host, "shop.target", "ActiveState")["ActiveState"] == "active",
                    timeout=60)
