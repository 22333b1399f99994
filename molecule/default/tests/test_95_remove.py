"""--tags remove: shop goes from the host, whole and only shop, refused without the
confirmation, previewed by --check, idempotent, and completed after an interrupted run.
Ends with shop deployed again, as the earlier tests left it."""

import re

from procfile_testlib import host_snapshot, playbook, props, recap_changed, wait_for

UNIT_DIR = "/etc/systemd/system"
NEIGHBOUR_PATTERNS = "'shop-admin-*' 'shop-web-*'"


def folded(out):
    """The yaml callback folds long messages at spaces: compare with whitespace collapsed."""
    return " ".join(out.split())


def shop_unit_files(host):
    """The unit files that carry shop's ownership marker (exactly X-ProcfileApp=shop)."""
    out = host.run("grep -lx 'X-ProcfileApp=shop' %s/*.service %s/*.target", UNIT_DIR, UNIT_DIR).stdout
    return sorted(path.rsplit("/", 1)[1] for path in out.split())


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
    playbook("shop.yml")
    playbook("shop-admin.yml")
    playbook("deploy.yml", procfile_app="shop-web", procfile_root="/srv/shop-web",
             procfile_base_port=6500, procfile_scale={"worker": 2})
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
    assert host.file("/var/lib/shop-data").is_directory
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


def test_an_interrupted_removal_is_completed_by_the_next_run(host):
    """Killed after stopping the instances and deleting the environment file: the state
    such a run leaves is made by hand (deterministic), and the next run finishes it."""
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

    rc, out = playbook("shop.yml", "--tags", "remove", procfile_remove_confirm="shop")
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
