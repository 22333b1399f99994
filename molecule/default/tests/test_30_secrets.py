"""Secrets live only in the root-only EnvironmentFile: not in units, systemctl or output."""

from procfile_testlib import playbook

CANARY = "canary-s3cr3t-9f8e7d"


def test_environment_file_is_root_only(host):
    f = host.file("/etc/procfile-systemd/shop/environment")
    assert f.user == "root" and f.group == "root" and f.mode == 0o600
    assert host.file("/etc/procfile-systemd/shop").mode == 0o700
    assert 'SECRET_TOKEN="%s"' % CANARY in f.content_string


def test_secret_is_nowhere_else_on_the_host(host):
    # Everywhere a deploy could leave it: Ansible's remote temp files, logs, homes, /tmp.
    hits = host.run("grep -rl %s /etc/systemd /var/lib/procfile-systemd /srv /run/systemd/transient "
                    "/tmp /var/tmp /root/.ansible /var/log /home /var/lib/shop-data 2>/dev/null",
                    CANARY).stdout
    assert hits == ""
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
