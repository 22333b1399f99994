"""Security, second round: what a name or a path variable alone must never do on a host.

Each attack is the one reproduced on a sandbox server with a deploy from the inventory as
a new user would write it; each is refused before the first change, naming what failed.
"""

import pytest
from procfile_testlib import host_snapshot, playbook

INJECTED = "\nExecStartPre=+/usr/bin/touch /root/pwned\n#"


def refused(host, play, messages, *args, **extra_vars):
    """The run fails, says every one of MESSAGES, and the collection's whole footprint on
    the host (files, accounts, groups, /var/lib, units) is exactly as before."""
    snapshot = host_snapshot(host)
    rc, out = playbook(play, *args, check=False, **extra_vars)
    assert rc != 0, out[-3000:]
    folded = " ".join(out.split())
    for message in messages:
        assert " ".join(message.split()) in folded, (message, out[-4000:])
    assert host_snapshot(host) == snapshot
    return out


def app_dir(host, app):
    host.check_output("mkdir -p /srv/%s && printf 'web: sleep infinity\\n' > /srv/%s/Procfile",
                      app, app)


@pytest.mark.parametrize("app, gid", [("disk", 6), ("adm", 4), ("systemd-journal", None)])
def test_an_app_named_like_a_group_never_joins_it(host, app, gid):
    """`procfile_app: disk` once created the account disk in the group disk: raw access to
    every block device. useradd itself refuses that; the deploy now does too."""
    assert host.group(app).exists
    if gid is not None:
        assert host.group(app).gid == gid
    app_dir(host, app)
    refused(host, "deploy.yml", [
        "the new account %s would join the existing group %s" % (app, app),
        "Choose its group on purpose with procfile_group", "Nothing was changed on this host"],
        procfile_app=app, procfile_root="/srv/" + app, procfile_base_port=8600)
    assert not host.user(app).exists
    assert not host.file("/etc/systemd/system/%s-web@.service" % app).exists


def test_an_existing_account_is_used_only_when_named_on_purpose(host):
    """App `daemon` would have run as the system account daemon (uid 1), with its files."""
    assert host.user("daemon").uid == 1
    app_dir(host, "daemon")
    refused(host, "deploy.yml", [
        "app daemon would run as the account named after it, daemon, which exists already "
        "(uid 1", "set procfile_user: daemon"],
        procfile_app="daemon", procfile_root="/srv/daemon", procfile_base_port=8610)


def test_an_existing_directory_is_never_taken_over_as_a_home(host):
    """/var/lib/heir (root's, with a root-only file) became heir:heir 750 at the first
    deploy of app heir, and --tags remove with procfile_remove_user deleted it whole."""
    host.check_output("mkdir -p /var/lib/heir && chmod 755 /var/lib/heir && "
                      "echo secret > /var/lib/heir/root-only && chmod 600 /var/lib/heir/root-only")
    app_dir(host, "heir")
    before = host.check_output("stat -c '%U:%G %a' /var/lib/heir /var/lib/heir/root-only")
    refused(host, "deploy.yml", [
        "procfile_home /var/lib/heir exists already (a directory, owner root:root, mode 0755)",
        "refusing to hand it over", "Choose another home with procfile_home"],
        procfile_app="heir", procfile_root="/srv/heir", procfile_base_port=8620)
    assert host.check_output("stat -c '%U:%G %a' /var/lib/heir /var/lib/heir/root-only") == before
    assert not host.user("heir").exists
    host.check_output("rm -rf /var/lib/heir")


# Every path variable at once, each with a line break that would add a root command to a
# unit: the checks report every problem in one run, so each must be named.
PATH_VARIABLES = {
    "procfile_root": "/srv/shop" + INJECTED,
    "procfile_home": "/var/lib/shop" + INJECTED,
    "procfile_config_dir": "/etc/procfile-x" + INJECTED,
    "procfile_state_dir": "/var/lib/procfile-x" + INJECTED,
    "procfile_unit_dir": "/etc/systemd/system" + INJECTED,
    "procfile_lock_dir": "/run/procfile-x" + INJECTED,
    "procfile_run_command_path": "/usr/local/sbin/procfile-run" + INJECTED,
    "procfile_status_file": "status.json" + INJECTED,
}


def no_injection_anywhere(host):
    assert not host.file("/root/pwned").exists
    # No directory or file named after the injected text, as the failed run once left.
    found = host.run("find /etc /var/lib /run /srv /usr/local -name '*ExecStartPre*' -print")
    assert found.stdout == "", found.stdout
    grep = host.run("grep -rl 'touch /root/pwned' /etc/systemd/system /etc/procfile-systemd")
    assert grep.rc == 1 and grep.stdout == "", grep.stdout


def test_a_line_break_in_any_path_variable_is_refused_naming_it_and_writes_nothing(host):
    messages = ["%s %r" % (variable, value) for variable, value in PATH_VARIABLES.items()
                if variable != "procfile_root"]
    # procfile_root has its own check (required, the app's code), with the same rule.
    messages.append("procfile_root %r: an absolute path" % PATH_VARIABLES["procfile_root"])
    out = refused(host, "shop.yml", [], **PATH_VARIABLES)
    folded = " ".join(out.split())
    for message in messages:
        # The yaml callback shows a line break of a repr as \n: compare the repr's words.
        assert " ".join(message.split()).replace("\\n", "\\\\n") in folded \
            or " ".join(message.split()) in folded, (message, out[-4000:])
    no_injection_anywhere(host)


@pytest.mark.parametrize("variable, value", [
    ("procfile_writable_dirs", ["/var/lib/shop-data", "/var/lib/x" + INJECTED]),
    ("procfile_process_settings", {"web": {"upstream": {"path": "/etc/nginx/x" + INJECTED}}}),
])
def test_a_line_break_in_a_list_or_a_setting_is_refused_too(host, variable, value):
    refused(host, "shop.yml", [variable], **{variable: value})
    no_injection_anywhere(host)


@pytest.mark.parametrize("tag", ["pause", "resume", "restart", "remove"])
def test_the_operations_check_the_paths_before_their_first_change(host, tag):
    refused(host, "shop.yml", ["procfile_state_dir %r" % PATH_VARIABLES["procfile_state_dir"]],
            "--tags", tag, procfile_state_dir=PATH_VARIABLES["procfile_state_dir"],
            procfile_remove_confirm="shop")
    no_injection_anywhere(host)


def test_removing_the_account_gives_what_stays_to_root(host):
    """With procfile_remove_user, the kept writable directories were left owned by a
    number that no account had any more, which useradd --system then gave to the next
    account it made: that account inherited the old app's data."""
    app_dir(host, "keeper")
    host.check_output("rm -rf /var/lib/keeper-data; userdel heir-of-keeper 2>/dev/null || true")
    playbook("deploy.yml", procfile_app="keeper", procfile_root="/srv/keeper",
             procfile_base_port=8630, procfile_writable_dirs=["/var/lib/keeper-data"])
    uid = host.user("keeper").uid
    # What the app wrote there: files and a directory of its own.
    host.check_output("runuser -u keeper -- sh -c 'mkdir /var/lib/keeper-data/uploads && "
                      "echo x > /var/lib/keeper-data/uploads/a && echo y > /var/lib/keeper/.cache'")
    assert host.file("/var/lib/keeper-data/uploads/a").uid == uid
    assert host.file("/var/lib/procfile-systemd/keeper/home-created").content_string == "/var/lib/keeper\n"
    playbook("deploy.yml", "--tags", "remove", procfile_app="keeper", procfile_root="/srv/keeper",
             procfile_writable_dirs=["/var/lib/keeper-data"], procfile_remove_confirm="keeper",
             procfile_remove_user=True)
    assert not host.user("keeper").exists
    # The home the deploy made and recorded is gone; the data stays, root's.
    assert not host.file("/var/lib/keeper").exists
    owners = host.check_output("find /var/lib/keeper-data -printf '%U:%G %p\\n'").splitlines()
    assert len(owners) == 3, owners
    assert all(line.startswith("0:0 ") for line in owners), owners
    # The next system account may get the same number: it finds nothing of the old app's.
    host.check_output("useradd --system heir-of-keeper")
    heir = host.user("heir-of-keeper").uid
    assert host.run("find / -xdev -uid %s -print -quit", str(heir)).stdout == ""
    host.check_output("userdel heir-of-keeper && rm -rf /var/lib/keeper-data /srv/keeper")
