"""Secrets live only in the root-only EnvironmentFile: not in units, systemctl or output."""

from procfile_testlib import playbook

CANARY = "canary-s3cr3t-9f8e7d"


def test_environment_file_is_root_only(host):
    f = host.file("/etc/procfile-systemd/shop/environment")
    assert f.user == "root" and f.group == "root" and f.mode == 0o600
    assert host.file("/etc/procfile-systemd/shop").mode == 0o700
    assert 'SECRET_TOKEN="%s"' % CANARY in f.content_string


# Every tree a deploy could leave it in: Ansible's remote temp files, logs, homes, /tmp,
# /run, the units, the apps' code and data, and all of /etc.
SEARCHED = ("/etc", "/root", "/home", "/srv", "/tmp", "/var/tmp", "/var/log", "/var/lib", "/run")
ITS_ONE_HOME = "/etc/procfile-systemd/shop/environment"


def test_secret_is_nowhere_else_on_the_host(host):
    trees = [t for t in SEARCHED if host.file(t).is_directory]
    assert set(trees) >= {"/etc", "/root", "/srv", "/tmp", "/var/lib", "/run"}, trees
    # -D skip: sockets and fifos under /run cannot be read as files.
    res = host.run("grep -rl -D skip -F -e %s -- " + " ".join(trees), CANARY)
    hits = res.stdout.split()
    # The search works: it finds the secret where it belongs (and so can find it elsewhere).
    assert ITS_ONE_HOME in hits, (res.rc, res.stderr[-2000:])
    assert [h for h in hits if h != ITS_ONE_HOME] == []
    # grep read every file: its only complaints may be about files that went away while
    # it ran (the temporary files of the commands running the test).
    unread = [line for line in res.stderr.splitlines() if "No such file or directory" not in line]
    assert res.rc in (0, 2) and unread == [], res.stderr[-2000:]
    show = host.check_output("systemctl show 'shop-*' 'shop.target'")
    assert CANARY not in show
    assert CANARY not in host.check_output("journalctl --no-pager -o verbose")


def test_secret_never_in_ansible_output_even_with_vvv_and_diff(host):
    new = "canary-rotated-1a2b3c"
    rc, out = playbook("shop.yml", "-vvv", "--diff", shop_secret=new)
    # Extra vars echo the value in ansible's own -vvv header for the -e argument only;
    # no task's output may carry it.
    task_output = out.split("PLAY [", 1)[1]
    assert new not in task_output
    assert CANARY not in out
    assert 'SECRET_TOKEN="%s"' % new in host.file("/etc/procfile-systemd/shop/environment").content_string
    rc, out = playbook("shop.yml", "--diff")
    assert CANARY not in out.split("PLAY [", 1)[1]
