"""procfile_remove decided against a fake systemd: run_command is faked at the systemctl
boundary; unit files, links, the environment file and the state are real files in a
temporary directory. Each test names what must be stopped, disabled and removed, what
must stay, and the systemctl calls made for it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import app_remove
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import (
    Failed,
    FakeSystemd,
    enable,
)


class StoppingSystemd(FakeSystemd):
    """A fake systemd in which stop and disable take effect: remove() reads the states
    again after them."""

    def run_command(self, argv, check_rc=False):
        answer = FakeSystemd.run_command(self, argv, check_rc)
        args = argv[1:]
        if args[0] == "stop":
            for u in args[2:]:
                if u in self.loaded:
                    self.loaded[u] = "inactive"
                self.show.setdefault(u, {})["ActiveState"] = "inactive"
        if args[0] == "disable":
            for u in args[3:]:
                self.show.setdefault(u, {})["UnitFileState"] = "disabled"
        return answer


def write(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def unit(unit_dir, app, process_type):
    return write(os.path.join(unit_dir, "%s-%s@.service" % (app, process_type)),
                 "[Unit]\nX-ProcfileApp=%s\nX-ProcfileType=%s\nX-ProcfileBasePort=5000\n"
                 "[Service]\nUser=%s\nExecStart=/bin/true\n" % (app, process_type, app))


def tree(root):
    """Every path under ROOT, for before/after comparisons."""
    found = []
    for base, dirs, names in os.walk(root):
        found += [os.path.relpath(os.path.join(base, n), root) for n in sorted(dirs + names)]
    return sorted(found)


@pytest.fixture(name="host")
def fixture_host(tmp_path):
    """shop (web@1, worker@2, worker@3, a target, a release unit, env file, state, a pause
    record) beside shop-admin (web@1) and a hand-written shop-foo@.service."""
    root = str(tmp_path)
    units = os.path.join(root, "units")
    for app, types in (("shop", ("web", "worker")), ("shop-admin", ("web",))):
        for t in types:
            unit(units, app, t)
        write(os.path.join(units, "%s.target" % app), "[Unit]\nX-ProcfileApp=%s\n" % app)
        write(os.path.join(root, "config", app, "environment"), "SECRET=x\n")
        write(os.path.join(root, "state", app, "released"), "abc\n")
    write(os.path.join(units, "shop-release.service"), "[Unit]\nX-ProcfileApp=shop\n")
    write(os.path.join(root, "state", "shop", "paused.json"), json.dumps({"instances": {}}))
    write(os.path.join(units, "shop-foo@.service"), "[Service]\nExecStart=/bin/true\n")
    enable(units, "shop", "shop-web@1.service", "shop-worker@2.service", "shop-worker@3.service")
    enable(units, "shop-admin", "shop-admin-web@1.service")
    os.makedirs(os.path.join(units, "multi-user.target.wants"))
    for app in ("shop", "shop-admin"):
        os.symlink(os.path.join(units, "%s.target" % app),
                   os.path.join(units, "multi-user.target.wants", "%s.target" % app))
    loaded = {"shop-web@1.service": "active", "shop-worker@2.service": "active",
              "shop-worker@3.service": "active", "shop-admin-web@1.service": "active",
              "shop-foo@1.service": "active"}
    show = {"shop.target": {"ActiveState": "active", "UnitFileState": "enabled"},
            "shop-release.service": {"ActiveState": "inactive", "UnitFileState": "static"}}
    return root, loaded, show


def params(root, **extra):
    p = dict(confirm="shop", unit_dir=os.path.join(root, "units"),
             config_dir=os.path.join(root, "config"), state_dir=os.path.join(root, "state"),
             lock_dir=os.path.join(root, "lock"), lock_owner=None, lock_steal=None, lock_wait=0,
             remove_user=False,
             user="shop", home=None, root="/srv/shop")
    p.update(extra)
    return p


def remove(module, root, **extra):
    return app_remove.remove(module, Systemctl(module), "shop", params(root, **extra))


SHOP_INSTANCES = ["shop-web@1.service", "shop-worker@2.service", "shop-worker@3.service"]


@pytest.mark.parametrize("confirm", ["", "shop-admin", "SHOP", None])
def test_without_the_app_name_as_confirmation_it_refuses_before_any_call(host, confirm):
    root, loaded, show = host
    before = tree(root)
    module = StoppingSystemd(loaded, show=show)
    with pytest.raises(Failed) as failed:
        remove(module, root, confirm=confirm)
    assert "-e procfile_remove_confirm=shop" in str(failed.value)
    assert "Nothing was changed" in str(failed.value)
    assert module.calls == [] and tree(root) == before


def test_a_bad_app_name_is_refused_before_the_confirmation(host):
    root, loaded, show = host
    module = StoppingSystemd(loaded, show=show)
    with pytest.raises(Failed) as failed:
        app_remove.remove(module, Systemctl(module), "../etc", params(root, confirm="../etc"))
    assert "procfile_remove_confirm" not in str(failed.value)
    assert module.calls == []


def test_a_run_finding_the_lock_held_by_another_changes_nothing_and_names_the_holder(host):
    root, loaded, show = host
    os.makedirs(os.path.join(root, "lock"))
    write(os.path.join(root, "lock", "shop.lock"), json.dumps({"token": "theirs", "pid": 7}))
    before = tree(root)
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root, lock_owner={"token": "mine"})
    # The action plugin turns this into the takeover or the refusal (test_locked_action).
    assert result["acquired"] is False and result["holder"]["token"] == "theirs"
    assert not result["changed"] and result["path"] == os.path.join(root, "lock", "shop.lock")
    assert module.calls == [] and tree(root) == before


def test_a_free_lock_is_taken_for_the_removal_and_removed_at_its_end(host):
    root, loaded, show = host
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root, lock_owner={"token": "mine", "controller": "c", "pid": 1})
    assert result["changed"] and result["unlocked"]
    assert not os.path.exists(os.path.join(root, "lock", "shop.lock"))


def test_removal_stops_disables_and_removes_only_the_apps_own_files(host):
    root, loaded, show = host
    os.makedirs(os.path.join(root, "lock"))
    write(os.path.join(root, "lock", "shop.lock"), json.dumps({"token": "mine"}))
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root, lock_owner={"token": "mine"})
    assert result["changed"] and result["unlocked"]
    assert result["stopped"] == SHOP_INSTANCES + ["shop.target"]
    # One call per kind of action, whatever the number of instances; stop before disable.
    assert module.calls == [
        ["stop", "--"] + SHOP_INSTANCES + ["shop.target"],
        ["disable", "--quiet", "--"] + SHOP_INSTANCES + ["shop.target"],
        ["reset-failed", "--"] + SHOP_INSTANCES + ["shop.target", "shop-release.service"],
        ["daemon-reload"],
    ]
    assert tree(root) == sorted([
        "config", "config/shop-admin", "config/shop-admin/environment",
        "lock", "state", "state/shop-admin", "state/shop-admin/released",
        "units", "units/multi-user.target.wants", "units/multi-user.target.wants/shop-admin.target",
        "units/shop-admin-web@.service", "units/shop-admin.target",
        "units/shop-admin.target.wants", "units/shop-admin.target.wants/shop-admin-web@1.service",
        "units/shop-foo@.service"])
    assert "removed app shop from this host" in result["msg"]
    assert result["account_removed"] is None


def test_check_mode_calls_nothing_and_reports_what_would_go(host):
    root, loaded, show = host
    before = tree(root)
    module = StoppingSystemd(loaded, show=show, check_mode=True, diff=True)
    result = remove(module, root)
    assert module.calls == [] and tree(root) == before
    assert result["changed"] and result["msg"].startswith("would remove app shop")
    lines = result["diff"]["before"].splitlines()
    assert result["diff"]["after"] == ""
    assert "running shop-web@1.service" in lines and "enabled shop.target" in lines
    assert "file %s" % os.path.join(root, "config", "shop", "environment") in lines
    assert "unit %s" % os.path.join(root, "units", "shop-release.service") in lines
    assert not [line for line in lines if "shop-admin" in line or "shop-foo" in line]


def test_a_second_run_changes_nothing(host):
    root, loaded, show = host
    module = StoppingSystemd(loaded, show=show)
    remove(module, root)
    after = tree(root)
    module.calls = []
    result = remove(module, root)
    assert not result["changed"] and result["msg"] == "nothing of app shop on this host"
    assert module.calls == [] and tree(root) == after


def test_an_interrupted_removal_is_completed(host):
    """Stopped and the environment file gone (killed there): the next run finishes."""
    root, loaded, show = host
    for u in SHOP_INSTANCES:
        loaded[u] = "inactive"
    show["shop.target"]["ActiveState"] = "inactive"
    os.remove(os.path.join(root, "config", "shop", "environment"))
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root)
    assert result["changed"] and result["stopped"] == []
    assert module.calls[0] == ["disable", "--quiet", "--"] + SHOP_INSTANCES + ["shop.target"]
    assert not [p for p in tree(root) if "shop/" in p or p.startswith("units/shop.")
                or p.startswith("units/shop-w") or p == "units/shop-release.service"]
    module.calls = []
    assert not remove(module, root)["changed"] and module.calls == []


def test_an_account_made_by_hand_stays(host, monkeypatch):
    root, loaded, show = host

    class Entry:
        pw_uid, pw_gecos, pw_dir = 990, "the shop", "/var/lib/shop"
    monkeypatch.setattr(app_remove.pwd, "getpwnam", lambda name: Entry)
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root, remove_user=True, home="/var/lib/shop")
    assert result["account_removed"] is None
    assert not [c for c in module.calls if "userdel" in c[0]]
    assert "did not create it" in module.warnings[0]


def test_the_account_the_collection_made_goes_with_its_home(host, monkeypatch):
    root, loaded, show = host
    home = os.path.join(root, "home")
    write(os.path.join(home, ".cache", "x"))

    # The deploy that made the home recorded it in the app's state.
    write(os.path.join(root, "state", "shop", "home-created"), home + "\n")

    class Entry:
        pw_uid, pw_gid, pw_gecos, pw_dir = 990, 990, "procfile.systemd app shop", home
    monkeypatch.setattr(app_remove.pwd, "getpwnam", lambda name: Entry)
    module = StoppingSystemd(loaded, show=show)
    userdel = []
    module.run_command = (lambda argv, check_rc=False, orig=module.run_command:
                          userdel.append(argv) or (0, "", "") if argv[0] == "/bin/userdel"
                          else orig(argv))
    result = remove(module, root, remove_user=True, home=home)
    assert result["account_removed"] == "shop" and userdel == [["/bin/userdel", "shop"]]
    assert not os.path.exists(home)


def owned_tree(base, uid):
    """BASE/a/b and BASE/c owned by UID (as a deleted account's files would be), and a
    link to /etc, which must not be followed."""
    write(os.path.join(base, "a", "b"))
    write(os.path.join(base, "c"))
    os.symlink("/etc", os.path.join(base, "etc-link"))
    for path in (base, os.path.join(base, "a"), os.path.join(base, "a", "b"),
                 os.path.join(base, "c")):
        os.chown(path, uid, uid)
    os.lchown(os.path.join(base, "etc-link"), uid, uid)


def owners(base):
    found = {}
    for top, dirs, files in os.walk(base):
        for name in [""] + dirs + files:
            path = os.path.join(top, name) if name else top
            found[os.path.relpath(path, base)] = os.lstat(path).st_uid
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
@pytest.mark.parametrize("recorded", [True, False])
def test_what_outlives_the_removed_account_is_given_to_root(host, monkeypatch, recorded):
    """Writable directories stay (data), and so does a home no deploy recorded as its own
    (an older version took an existing directory over): both become root's before
    userdel, so that the next account useradd gives the number 990 inherits nothing."""
    root, loaded, show = host
    home, data = os.path.join(root, "home"), os.path.join(root, "data")
    owned_tree(home, 990)
    owned_tree(data, 990)
    if recorded:
        write(os.path.join(root, "state", "shop", "home-created"), home + "\n")

    class Entry:
        pw_uid, pw_gid, pw_gecos, pw_dir = 990, 990, "procfile.systemd app shop", home
    monkeypatch.setattr(app_remove.pwd, "getpwnam", lambda name: Entry)
    module = StoppingSystemd(loaded, show=show)
    module.run_command = (lambda argv, check_rc=False, orig=module.run_command:
                          (0, "", "") if argv[0] == "/bin/userdel" else orig(argv))
    etc_owner = os.stat("/etc").st_uid
    result = remove(module, root, remove_user=True, home=home, writable_dirs=[data])
    assert result["account_removed"] == "shop"
    assert set(owners(data)) == {".", "a", "a/b", "c", "etc-link"}
    assert set(owners(data).values()) == {0}
    assert os.path.exists(home) is not recorded
    if not recorded:
        assert set(owners(home).values()) == {0}
    assert sorted(result["given_to_root"]) == sorted([data] + ([] if recorded else [home]))
    assert os.stat("/etc").st_uid == etc_owner


def test_an_account_another_app_runs_as_stays(host, monkeypatch):
    root, loaded, show = host
    unit(os.path.join(root, "units"), "shop-admin", "worker")
    with open(os.path.join(root, "units", "shop-admin-worker@.service"), "a") as handle:
        handle.write("User=shop\n")

    class Entry:
        pw_uid, pw_gecos, pw_dir = 990, "procfile.systemd app shop", "/var/lib/shop"
    monkeypatch.setattr(app_remove.pwd, "getpwnam", lambda name: Entry)
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root, remove_user=True, home="/var/lib/shop")
    assert result["account_removed"] is None and "shop-admin" in module.warnings[0]


def upstream_unit(root, reload_ok=True):
    """shop's web with an upstream file listing web@1."""
    conf = write(os.path.join(root, "nginx", "shop-web.conf"),
                 "upstream shop_web {\n    server 127.0.0.1:5001;  # web.1\n}\n")
    with open(os.path.join(root, "units", "shop-web@.service"), "a") as handle:
        handle.write("X-ProcfileUpstream=format=nginx name=shop_web path=%s reload=nginx.service\n"
                     % conf)
    return conf


def test_the_upstream_leaves_the_proxy_before_the_instances_stop_and_its_file_goes(host):
    root, loaded, show = host
    conf = upstream_unit(root)
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root)
    assert result["upstream_files"] == [conf] and not os.path.exists(conf)
    nginx = [i for i, c in enumerate(module.calls) if c[:1] == ["-t"]]
    stop = module.calls.index(["stop", "--"] + SHOP_INSTANCES + ["shop.target"])
    assert nginx and max(nginx) < stop


def test_an_upstream_file_a_site_still_needs_stays_empty_with_a_warning(host):
    root, loaded, show = host
    conf = upstream_unit(root)
    module = StoppingSystemd(loaded, show=show)
    run_command = module.run_command

    def refuse_without_the_file(argv, check_rc=False):
        if argv[0] == "/bin/nginx" and not os.path.exists(conf):
            return 1, "", "host not found in upstream shop_web"
        return run_command(argv, check_rc)
    module.run_command = refuse_without_the_file
    result = remove(module, root)
    assert result["kept_upstream_files"] == [conf] and result["upstream_files"] == []
    with open(conf) as handle:
        text = handle.read()
    assert "down;  # no instance is running" in text and "web.1" not in text
    assert "still needs it" in module.warnings[0]
    # The file is the user's business now: a second run finds nothing of shop.
    assert not remove(StoppingSystemd(loaded, show=show), root)["changed"]


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_an_upstream_file_where_others_could_write_is_refused_before_any_change(host, check_mode):
    """--tags remove rewrites and removes the upstream list as root, like a deploy: a
    directory that anyone but root could change is refused the same way, before anything."""
    root, loaded, show = host
    conf = upstream_unit(root)
    os.chmod(os.path.dirname(conf), 0o777)
    before = tree(root)
    module = StoppingSystemd(loaded, show=show, check_mode=check_mode)
    with pytest.raises(Failed, match="nginx can be changed by group or other users.*"
                                     "Nothing was changed on this host"):
        remove(module, root)
    assert module.calls == []
    # Only the lock's guard, which the run holds while it looks, is new.
    assert [p for p in tree(root) if not p.startswith("lock")] == before
    with open(conf) as handle:
        assert "# web.1" in handle.read()


def test_running_one_off_commands_are_stopped_with_the_instances(host):
    root, loaded, show = host
    loaded.update({"shop-run-7.service": "active", "shop-run-8.service": "failed",
                   # shop-admin's own one-off: not shop's.
                   "shop-admin-run-1.service": "active"})
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root)
    assert module.calls[0] == ["stop", "--"] + SHOP_INSTANCES + ["shop-run-7.service", "shop.target"]
    assert "shop-run-7.service" in result["stopped"]


@pytest.mark.parametrize("other_app_has_one_offs", [False, True])
def test_the_shared_procfile_run_goes_with_the_last_app_only(host, other_app_has_one_offs):
    root, loaded, show = host
    command = write(os.path.join(root, "sbin", "procfile-run"), "#!/usr/bin/python3\n")
    write(os.path.join(root, "config", "shop", "run.json"), "{}")
    if other_app_has_one_offs:
        write(os.path.join(root, "config", "shop-admin", "run.json"), "{}")
    module = StoppingSystemd(loaded, show=show)
    remove(module, root, run_command=command)
    assert os.path.exists(command) == other_app_has_one_offs
    assert not os.path.exists(os.path.join(root, "config", "shop"))


def test_a_scheduled_types_timer_running_job_and_last_run_stamp_go(host):
    root, loaded, show = host
    units = os.path.join(root, "units")
    for suffix in ("timer", "service"):
        write(os.path.join(units, "shop-report.%s" % suffix),
              "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=report\n")
    os.symlink(os.path.join(units, "shop-report.timer"),
               os.path.join(units, "shop.target.wants", "shop-report.timer"))
    show.update({"shop-report.timer": {"ActiveState": "active", "UnitFileState": "enabled"},
                 "shop-report.service": {"ActiveState": "activating", "UnitFileState": "static"}})
    module = StoppingSystemd(loaded, show=show)
    result = remove(module, root)
    stopped = SHOP_INSTANCES + ["shop.target", "shop-report.timer", "shop-report.service"]
    assert result["stopped"] == stopped
    # The stamp is cleaned while the timer is still loaded, before its file goes.
    assert module.calls == [
        ["stop", "--"] + stopped,
        ["disable", "--quiet", "--"] + SHOP_INSTANCES + ["shop-report.timer", "shop.target"],
        ["reset-failed", "--"] + SHOP_INSTANCES + ["shop.target", "shop-release.service",
                                                   "shop-report.timer", "shop-report.service"],
        ["clean", "--what=state", "--", "shop-report.timer"],
        ["daemon-reload"],
    ]
    assert not any(name.startswith("shop-report") for name in os.listdir(units))
    assert not os.path.exists(os.path.join(units, "shop.target.wants"))
