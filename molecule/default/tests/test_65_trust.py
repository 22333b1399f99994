"""A compromised app cannot make the next deploy (run as root) act for it.

App "sec" has an app-owned procfile_root (code deployed as the app's user, the usual
case) and two writable directories. Each test plays the app's user after a break-in:
it plants a link where root will act, then a real deploy runs. The deploy must refuse
with a message naming the path, or complete without following the link; in every case
nothing outside the app's own files changes owner or mode, and no root-only content
shows up in any output or unit file.
"""

import pytest
from procfile_testlib import PROJECT, SCENARIO, host_snapshot, playbook

ROOT = "/srv/sec"
WRITABLE = ["/srv/sec/var", "/srv/sec/var/cache"]
# A root-only file that would parse as a valid Procfile: if root ever read it for the
# app, the canary would reach a unit file or the output.
ROOT_ONLY = "/root/secret-procfile"
CANARY = "ROOT-ONLY-CANARY-4711"
# Everything an attack could aim at is compared (owner, group, mode), except what changes
# by itself on a running server and the app's own paths, which it may change at will.
PRUNED = ("/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/var/log", "/var/cache",
          "/var/lib/systemd", "/root/.ansible", "/srv/sec", "/var/lib/procfile-systemd/sec")


def as_app(host, script):
    """Run SCRIPT as the app's user, as a compromised app would."""
    return host.run("setpriv --reuid=sec --regid=sec --init-groups --reset-env sh -c %s",
                    "cd / && " + script)


def deploy(**extra):
    settings = dict(procfile_app="sec", procfile_root=ROOT, procfile_base_port=7500,
                    procfile_writable_dirs=WRITABLE)
    settings.update(extra)
    return playbook("deploy.yml", check=False, **settings)


def owners_and_modes(host):
    """Owner, group and mode of every file and directory on the server but PRUNED."""
    prune = " -o ".join("-path %s" % p for p in PRUNED)
    return host.check_output(
        "find / -xdev \\( " + prune + " \\) -prune -o -printf '%p %u %g %m\\n' | sort")


def assert_no_root_only_content(host, output):
    assert CANARY not in output
    assert host.run("grep -rl %s /etc/systemd /etc/procfile-systemd /var/lib/procfile-systemd",
                    CANARY).stdout == ""
    shadow_line = host.check_output("sed -n 2p /etc/shadow")
    assert shadow_line and shadow_line not in output


@pytest.fixture(scope="module", autouse=True)
def sec_app(host):
    """App sec deployed once, then its code handed to its user (root owns nothing of it)."""
    host.check_output("mkdir -p %s && printf 'web: sleep infinity\\n' > %s/Procfile", ROOT, ROOT)
    host.check_output("umask 077 && printf 'web: echo %s\\n' > %s", CANARY, ROOT_ONLY)
    rc, out = deploy()
    assert rc == 0, out[-3000:]
    host.check_output("chown -R sec:sec %s", ROOT)
    yield
    playbook("deploy.yml", procfile_app="sec", procfile_root=ROOT, procfile_base_port=7500,
             procfile_scale={"web": 0})


@pytest.fixture(name="restore", autouse=True)
def fixture_restore(host):
    """Undo the attack after each test, as the app's user, and check the deploy is whole."""
    yield
    as_app(host, "cd %s && rm -rf var Procfile && mkdir -p var/cache && "
                 "printf 'web: sleep infinity\\n' > Procfile" % ROOT)
    rc, out = deploy()
    assert rc == 0, out[-3000:]


def assert_refused_changing_nothing(host, before, rc, out, messages):
    assert rc != 0
    for message in messages:
        assert message in out, out[-3000:]
    assert owners_and_modes(host) == before[0]
    assert host_snapshot(host) == before[1]
    assert_no_root_only_content(host, out)


def everything(host):
    """What a refused deploy must leave as it was: owners and modes on the whole server,
    and the collection's footprint."""
    return owners_and_modes(host), host_snapshot(host)


def test_a_writable_directory_swapped_for_a_link_to_cron_d_is_refused(host):
    as_app(host, "rm -rf %s/var/cache && ln -s /etc/cron.d %s/var/cache" % (ROOT, ROOT))
    before = everything(host)
    rc, out = deploy()
    assert_refused_changing_nothing(host, before, rc, out, [
        "procfile_writable_dirs entry /srv/sec/var/cache is a symbolic link (to /etc/cron.d)",
        "Nothing was changed on this host"])
    assert host.file("/etc/cron.d").user == "root" and host.file("/etc/cron.d").mode == 0o755


def test_the_top_writable_directory_swapped_for_a_link_to_root_is_refused(host):
    as_app(host, "mv %s/var %s/var.old && ln -s /root %s/var" % (ROOT, ROOT, ROOT))
    before = everything(host)
    root_before = (host.file("/root").user, host.file("/root").mode)
    rc, out = deploy()
    assert_refused_changing_nothing(host, before, rc, out, [
        "procfile_writable_dirs entry /srv/sec/var is a symbolic link (to /root)"])
    assert (host.file("/root").user, host.file("/root").mode) == root_before == ("root", root_before[1])
    as_app(host, "rm -rf %s/var.old" % ROOT)


def test_a_parent_made_into_a_link_to_root_is_not_followed(host):
    # Only the inner directory is writable: root must still not walk through var.
    as_app(host, "mv %s/var %s/var.old && ln -s /root %s/var" % (ROOT, ROOT, ROOT))
    before = everything(host)
    rc, out = deploy(procfile_writable_dirs=["/srv/sec/var/cache"])
    assert_refused_changing_nothing(host, before, rc, out, [
        "procfile_writable_dirs entry /srv/sec/var/cache: /srv/sec/var is a symbolic link "
        "(to /root) owned by 'sec'"])
    assert not host.file("/root/cache").exists
    as_app(host, "rm -rf %s/var.old" % ROOT)


@pytest.mark.parametrize("target", [ROOT_ONLY, "/etc/passwd", "/etc/ssh/ssh_host_ed25519_key"])
def test_a_procfile_linked_out_of_the_app_directory_is_refused_unread(host, target):
    as_app(host, "ln -sfn %s %s/Procfile" % (target, ROOT))
    before = everything(host)
    rc, out = deploy()
    assert_refused_changing_nothing(host, before, rc, out, [
        "%s/Procfile: leads out of %s (to %s) through a symbolic link" % (ROOT, ROOT, target),
        "[rule: outside-root]"])
    key = host.check_output("head -c 40 /etc/ssh/ssh_host_ed25519_key | tail -c 20")
    assert key not in out


def test_a_procfile_link_inside_the_app_directory_is_followed_as_the_app_user(host):
    as_app(host, "printf 'web: sleep 1000\\n' > %s/Procfile.production && "
                 "ln -sfn Procfile.production %s/Procfile" % (ROOT, ROOT))
    rc, out = deploy()
    assert rc == 0, out[-3000:]
    assert "sleep 1000" in host.file("/etc/systemd/system/sec-web@.service").content_string


def test_a_link_swapped_in_while_deploys_run_is_never_followed(host):
    """The race: the app's user swaps var/cache between a directory and a link to
    /etc/cron.d as fast as it can while deploys run (between root's check and its chown,
    sooner or later). Each deploy either refuses or completes; cron.d stays root's."""
    before = owners_and_modes(host)
    swapper = ("cd %s/var && while :; do rm -rf cache; ln -s /etc/cron.d cache; "
               "rm -f cache; mkdir cache 2>/dev/null; done" % ROOT)
    host.check_output("systemd-run --unit=sec-swapper --uid=sec --gid=sec "
                      "--property=RuntimeMaxSec=600 /bin/sh -c %s", swapper)
    try:
        outcomes = []
        for _attempt in range(3):
            rc, out = deploy()
            outcomes.append(rc)
            assert rc == 0 or "The deploy stopped here" in out or \
                "Nothing was changed on this host" in out, out[-3000:]
            assert_no_root_only_content(host, out)
            assert host.file("/etc/cron.d").user == "root"
            assert host.file("/etc/cron.d").mode == 0o755
    finally:
        host.run("systemctl stop sec-swapper")
    as_app(host, "rm -rf %s/var/cache" % ROOT)
    after = owners_and_modes(host)
    assert [line for line in after.splitlines() if not line.startswith("/srv/sec")] == \
        [line for line in before.splitlines() if not line.startswith("/srv/sec")]


def test_copying_code_as_root_into_a_directory_the_app_can_change_is_refused(host):
    """procfile_source copies as root: into an app-owned procfile_root, a planted link
    (code/ -> /etc/cron.d) would make root write the code there. Refused before the copy."""
    as_app(host, "ln -s /etc/cron.d %s/crashy" % ROOT)
    before = everything(host)
    rc, out = playbook(str(PROJECT / "playbooks" / "deploy.yml"), check=False, procfile_app="sec",
                       procfile_root=ROOT, procfile_base_port=7500, procfile_writable_dirs=WRITABLE,
                       procfile_source=str(SCENARIO / "files"))
    assert_refused_changing_nothing(host, before, rc, out, [
        "procfile_root /srv/sec: /srv/sec can be changed by its owner 'sec'"])
    assert host.run("ls /etc/cron.d/Procfile").rc != 0
