"""procfile_instances' phases decided against a fake systemd: run_command is faked at the
systemctl boundary, the unit files and enabled links are real files in a temporary
unit directory. Each test names what must be started, stopped, enabled, restarted or
refused, and checks the systemctl calls made for it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import app_states
from ansible_collections.procfile.systemd.plugins.module_utils.app_status import status
from ansible_collections.procfile.systemd.plugins.module_utils.instances import scan_owned_units
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import (
    Failed,
    FakeSystemd,
    Instances,
    enable,
    free_base_port,
)


def unit(unit_dir, app, process_type, base_port=5000):
    path = os.path.join(unit_dir, "%s-%s@.service" % (app, process_type))
    with open(path, "w") as handle:
        handle.write("[Unit]\nX-ProcfileApp=%s\nX-ProcfileType=%s\nX-ProcfileBasePort=%d\n"
                     "[Service]\nExecStart=/bin/true\n" % (app, process_type, base_port))
    return path


@pytest.fixture(name="shop")
def fixture_shop(tmp_path):
    """shop on a host: web@1 and worker@2, worker@3 enabled and running."""
    unit_dir = str(tmp_path / "units")
    os.makedirs(unit_dir)
    unit(unit_dir, "shop", "web")
    unit(unit_dir, "shop", "worker")
    with open(os.path.join(unit_dir, "shop.target"), "w") as handle:
        handle.write("[Unit]\nX-ProcfileApp=shop\n")
    enable(unit_dir, "shop", "shop-web@1.service", "shop-worker@2.service", "shop-worker@3.service")
    loaded = {"shop-web@1.service": "active", "shop-worker@2.service": "active",
              "shop-worker@3.service": "active"}
    show = {"shop.target": {"ActiveState": "active", "UnitFileState": "enabled"}}
    return unit_dir, loaded, show, str(tmp_path / "paused.json")


def params(unit_dir, **extra):
    p = dict(counts={}, base_port=5000, restart=[], env_file=None, after=[], after_strict=False,
             state_file=None, fingerprint_file=None, fingerprint=None, health_checks={},
             unlock=None, unit_dir=unit_dir, lock_dir="/nonexistent", restart_reasons={},
             max_unavailable={}, code_file=None, upstreams={})
    p.update(extra)
    return p


def apply(module, unit_dir, types, **extra):
    owned = scan_owned_units(unit_dir)
    return app_states.apply(module, Systemctl(module), "shop", types,
                            params(unit_dir, **extra), owned)


def test_scaling_stops_the_highest_and_starts_the_lowest_free_numbers(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, show=show)
    result = apply(module, unit_dir, ["web", "worker"], counts={"web": 2, "worker": 1})
    # worker@3 (its highest) goes; web gets 3, the lowest number free after that, and
    # worker@3 is stopped before web@3 starts.
    assert result["instances"] == {"web": [1, 3], "worker": [2]}
    assert result["stop"] == ["shop-worker@3.service"] and result["start"] == ["shop-web@3.service"]
    assert module.calls == [
        ["stop", "--", "shop-worker@3.service"],
        ["disable", "--quiet", "--", "shop-worker@3.service"],
        ["reset-failed", "--", "shop-worker@3.service"],
        ["enable", "--quiet", "--", "shop-web@3.service"],
        ["start", "--", "shop-web@3.service"],
    ]
    assert result["changed"]


def test_nothing_to_do_makes_no_call_and_no_change(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, show=show)
    result = apply(module, unit_dir, ["web", "worker"], counts={"web": 1, "worker": 2})
    assert module.calls == [] and not result["changed"]


def test_changed_types_restart_only_their_running_instances(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, show=show)
    result = apply(module, unit_dir, ["web", "worker"], counts={"web": 1, "worker": 2},
                   restart=["worker"])
    assert module.calls == [["restart", "--", "shop-worker@2.service", "shop-worker@3.service"]]
    assert result["restart"] == ["shop-worker@2.service", "shop-worker@3.service"]


def test_a_type_that_left_the_procfile_is_stopped_and_its_template_removed(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, show=show)
    result = apply(module, unit_dir, ["web"], counts={"web": 1})
    assert result["removed_types"] == ["worker"]
    assert not os.path.exists(os.path.join(unit_dir, "shop-worker@.service"))
    assert ["stop", "--", "shop-worker@2.service", "shop-worker@3.service"] in module.calls
    assert module.calls[-1] == ["daemon-reload"]


def test_check_mode_decides_the_same_and_calls_nothing(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, check_mode=True, show=show)
    result = apply(module, unit_dir, ["web", "worker"], counts={"web": 3, "worker": 0})
    assert result["start"] == ["shop-web@2.service", "shop-web@3.service"]
    assert result["stop"] == ["shop-worker@2.service", "shop-worker@3.service"]
    assert module.calls == [] and result["changed"]


def test_a_unit_name_of_another_app_is_refused_before_any_call(shop):
    unit_dir, loaded, show, _record = shop
    unit(unit_dir, "shop-admin", "worker", base_port=6000)
    os.remove(os.path.join(unit_dir, "shop-worker@.service"))
    module = FakeSystemd(loaded, show=show)
    owned = scan_owned_units(unit_dir)
    # shop with a type "admin-worker" would need shop-admin's shop-admin-worker@.service.
    with pytest.raises(Failed, match="already belongs to app 'shop-admin' \\(type 'worker'\\)"):
        app_states.apply(module, Systemctl(module), "shop", ["admin-worker"],
                         params(unit_dir, counts={"admin-worker": 1}), owned)
    assert module.calls == []


def test_ports_another_app_uses_are_refused(shop):
    unit_dir, loaded, show, _record = shop
    unit(unit_dir, "blog", "web", base_port=5003)
    enable(unit_dir, "blog", "blog-web@1.service")
    module = FakeSystemd(loaded, show=show)
    # shop's new web@4 would get PORT 5004, which blog's web@1 has.
    with pytest.raises(Failed, match="PORT clash on this host: app 'shop' would use port\\(s\\) 5004"):
        apply(module, unit_dir, ["web", "worker"], counts={"web": 2, "worker": 2})
    assert module.calls == []


def test_pause_records_and_stops_every_instance_and_resume_brings_back_the_same(shop):
    unit_dir, loaded, show, record = shop
    module = FakeSystemd(loaded, show=show)
    systemctl = Systemctl(module)
    result = app_states.pause(module, systemctl, "shop", ["web", "worker"], unit_dir, record)
    assert result["record"] == {"web": [1], "worker": [2, 3]}
    units = ["shop-web@1.service", "shop-worker@2.service", "shop-worker@3.service"]
    assert module.calls == [["stop", "--"] + units, ["disable", "--quiet", "--"] + units,
                            ["reset-failed", "--"] + units]
    with open(record) as handle:
        assert json.load(handle)["instances"] == {"web": [1], "worker": [2, 3]}
    # A second pause keeps the first record (even though nothing runs any more).
    for name in os.listdir(os.path.join(unit_dir, "shop.target.wants")):
        os.remove(os.path.join(unit_dir, "shop.target.wants", name))
    module = FakeSystemd({}, show=show)
    again = app_states.pause(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, record)
    assert not again["changed"] and again["record"] == {"web": [1], "worker": [2, 3]}
    module = FakeSystemd({}, show=show)
    resumed = app_states.resume(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, record)
    assert module.calls == [["enable", "--quiet", "--"] + units, ["start", "--"] + units]
    assert resumed["start"] == units and not os.path.exists(record)


def test_restart_refuses_a_type_the_host_does_not_have_and_restarts_only_running_ones(shop):
    unit_dir, loaded, show, _record = shop
    loaded["shop-worker@3.service"] = "inactive"
    module = FakeSystemd(loaded, show=show)
    with pytest.raises(Failed, match="shop has no process type cron on this host"):
        app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir,
                           ["cron"], 5000, {}, {})
    result = app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir,
                                ["worker"], 5000, {}, {})
    assert module.calls == [["restart", "--", "shop-worker@2.service"]]
    assert result["restart"] == ["shop-worker@2.service"]


def test_restart_of_one_instance_in_the_dyno_form_restarts_only_it(shop):
    unit_dir, loaded, show, _record = shop
    module = FakeSystemd(loaded, show=show)
    result = app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir,
                                ["worker.3"], 5000, {}, {})
    assert module.calls == [["restart", "--", "shop-worker@3.service"]]
    assert result["restart"] == ["shop-worker@3.service"]
    module = FakeSystemd(loaded, show=show)
    with pytest.raises(Failed, match=r"shop has no instance worker\.9 on this host "
                                     r"\(instances: web\.1, worker\.2, worker\.3\)"):
        app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir,
                           ["worker.9"], 5000, {}, {})
    assert module.calls == []


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
@pytest.mark.parametrize("mode, words", [
    (0o777, "conf.d can be changed by group or other users"),
    (None, "its directory does not exist"),
])
def test_restart_refuses_an_upstream_file_a_deploy_would_refuse_before_any_call(
        shop, tmp_path, check_mode, mode, words):
    """--tags restart rewrites the upstream list as root, like a deploy: a directory that
    anyone but root could change (or none) is refused the same way, before anything."""
    unit_dir, loaded, show, _record = shop
    conf = tmp_path / "conf.d"
    if mode is not None:
        conf.mkdir()
        os.chmod(str(conf), mode)
    module = FakeSystemd(loaded, show=show, check_mode=check_mode)
    with pytest.raises(Failed, match=words + ".*Nothing was changed on this host"):
        app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, [],
                           5000, {}, {}, {"web": {"path": str(conf / "shop-web.conf")}})
    assert module.calls == []
    assert not os.path.lexists(str(conf / "shop-web.conf"))


def test_restart_still_lists_the_instances_in_a_directory_only_root_can_change(shop, tmp_path):
    unit_dir, loaded, show, _record = shop
    conf = tmp_path / "conf.d"
    conf.mkdir(mode=0o755)
    path = conf / "shop-web.conf"
    show["nginx.service"] = {"ActiveState": "inactive"}
    module = FakeSystemd(loaded, show=show)
    result = app_states.restart(module, Systemctl(module), "shop", ["web", "worker"], unit_dir,
                                ["web"], 5000, {}, {}, {"web": {"path": str(path)}})
    assert result["restart"] == ["shop-web@1.service"] and result["upstream_files"] == [str(path)]
    assert "127.0.0.1:5001;  # web.1" in path.read_text()
    st = os.stat(str(path))
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o644)


def test_status_counts_running_instances_per_type(shop):
    unit_dir, loaded, _show, record = shop
    loaded["shop-worker@3.service"] = "inactive"
    show = dict((u, {"ActiveState": s, "SubState": "running", "MainPID": "42", "NRestarts": "0"})
                for u, s in loaded.items())
    module = FakeSystemd(loaded, show=show)
    result = status(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, record,
                    {"web": 1, "worker": 2, "cron": 1})
    assert result["status"]["types"] == [
        {"type": "web", "wanted": 1, "running": 1}, {"type": "worker", "wanted": 2, "running": 1},
        {"type": "cron", "wanted": 1, "running": 0}]
    assert result["status"]["deployed"] and not result["status"]["paused"]
    assert "lines" not in result and not result["changed"]
    assert module.calls == []


class RollingModule(FakeSystemd):
    """A restart of an instance runs ON_RESTART(number) (its server goes down, or not)."""

    def __init__(self, loaded, show, on_restart=None):
        FakeSystemd.__init__(self, loaded, show=show)
        self.on_restart = on_restart

    def run_command(self, argv):
        if argv[1] == "restart" and self.on_restart:
            for name in argv[argv.index("--") + 1:]:
                self.on_restart(int(name.split("@")[1].split(".")[0]))
        return FakeSystemd.run_command(self, argv)


@pytest.fixture(name="web3")
def fixture_web3(tmp_path):
    """shop with web@1..3 running and answering on their ports."""
    unit_dir = str(tmp_path / "units")
    os.makedirs(unit_dir)
    unit(unit_dir, "shop", "web")
    enable(unit_dir, "shop", *["shop-web@%d.service" % n for n in (1, 2, 3)])
    loaded = dict(("shop-web@%d.service" % n, "active") for n in (1, 2, 3))
    show = {"shop.target": {"ActiveState": "active", "UnitFileState": "enabled"}}
    base = free_base_port(3)
    servers = Instances(base, [1, 2, 3])
    yield unit_dir, loaded, show, base, servers
    servers.close()


CHECKS = {"web": {"path": "/", "timeout": 1, "status": None}}


def test_a_checked_type_restarts_one_instance_at_a_time(web3):
    unit_dir, loaded, show, base, _servers = web3
    module = RollingModule(loaded, show)
    result = apply(module, unit_dir, ["web"], counts={"web": 3}, restart=["web"],
                   restart_reasons={"web": "new revision b2, was a1"}, base_port=base,
                   health_checks=CHECKS)
    assert [c for c in module.calls if c[0] == "restart"] == [
        ["restart", "--", "shop-web@%d.service" % n] for n in (1, 2, 3)]
    assert result["rounds"] == 3 and len(result["healthy"]) == 3
    assert result["restart_reasons"] == {"web": "new revision b2, was a1"}


def test_max_unavailable_sets_the_batch(web3):
    unit_dir, loaded, show, base, _servers = web3
    module = RollingModule(loaded, show)
    apply(module, unit_dir, ["web"], counts={"web": 3}, restart=["web"], base_port=base,
          health_checks=CHECKS, max_unavailable={"web": 2})
    assert [c for c in module.calls if c[0] == "restart"] == [
        ["restart", "--", "shop-web@1.service", "shop-web@2.service"],
        ["restart", "--", "shop-web@3.service"]]


def test_a_failed_check_stops_the_roll_and_names_what_was_not_restarted(web3):
    """The new version of web@2 never listens: web@3 is never restarted (it keeps serving
    the previous version) and the failure names web@2, its URL and web@3."""
    unit_dir, loaded, show, base, servers = web3
    module = RollingModule(loaded, show, on_restart=lambda n: servers.down(n) if n == 2 else None)
    with pytest.raises(Failed) as failure:
        apply(module, unit_dir, ["web"], counts={"web": 3}, restart=["web"], base_port=base,
              health_checks=CHECKS)
    message = str(failure.value)
    assert "shop-web@2.service (http://127.0.0.1:%d/)" % (base + 2) in message
    assert "1 instance(s) not restarted keep running the previous version " \
           "(shop-web@3.service)" in message
    assert [c for c in module.calls if c[0] == "restart"] == [
        ["restart", "--", "shop-web@1.service"], ["restart", "--", "shop-web@2.service"]]


def test_new_instances_answer_before_any_instance_restarts(web3):
    """Scaled to 4 while web changes: web@4 starts first and must answer before web@1 is
    taken down. Here it never listens: nothing restarts and the run fails naming it."""
    unit_dir, loaded, show, base, _servers = web3
    module = RollingModule(loaded, show)
    with pytest.raises(Failed, match=r"shop-web@4.service .*; nothing was restarted"):
        apply(module, unit_dir, ["web"], counts={"web": 4}, restart=["web"], base_port=base,
              health_checks=CHECKS)
    assert ["start", "--", "shop-web@4.service"] in module.calls
    assert not [c for c in module.calls if c[0] == "restart"]


def test_each_batch_leaves_the_proxy_list_before_it_stops_and_all_are_back_at_the_end(
        web3, tmp_path):
    """With an nginx upstream file: when web@N restarts, the file lists the others only,
    and nginx was checked and reloaded in between; at the end it lists all three."""
    unit_dir, loaded, show, base, _servers = web3
    conf = tmp_path / "conf.d"
    conf.mkdir(mode=0o755)
    path = str(conf / "shop-web.conf")
    show["nginx.service"] = {"ActiveState": "active", "MainPID": "0"}
    seen = {}

    def on_restart(n):
        with open(path) as handle:
            seen[n] = handle.read()

    module = RollingModule(loaded, show, on_restart=on_restart)
    result = apply(module, unit_dir, ["web"], counts={"web": 3}, restart=["web"], base_port=base,
                   health_checks=CHECKS, upstreams={"web": {"path": path}})
    for n in (1, 2, 3):
        listed = [m for m in (1, 2, 3) if m != n]
        assert "web.%d" % n not in seen[n]
        assert all("127.0.0.1:%d;  # web.%d" % (base + m, m) in seen[n] for m in listed), seen[n]
    with open(path) as handle:
        final = handle.read()
    assert "upstream shop_web {" in final
    assert all("127.0.0.1:%d;  # web.%d" % (base + m, m) in final for m in (1, 2, 3))
    calls = [c[0] for c in module.calls if c[0] in ("restart", "reload", "-t")]
    assert calls == ["-t", "reload", "restart", "-t", "reload", "restart", "-t", "reload",
                     "restart", "-t", "reload"], module.calls
    assert result["upstream_files"] == [path]


def test_an_upstream_file_where_the_app_could_write_is_refused_before_any_call(web3, tmp_path):
    unit_dir, loaded, show, base, _servers = web3
    conf = tmp_path / "conf.d"
    conf.mkdir()
    os.chmod(str(conf), 0o777)
    module = RollingModule(loaded, show)
    with pytest.raises(Failed, match="conf.d can be changed by .*Nothing was changed"):
        apply(module, unit_dir, ["web"], counts={"web": 3}, restart=["web"], base_port=base,
              health_checks=CHECKS, upstreams={"web": {"path": str(conf / "x.conf")}})
    assert module.calls == []


def test_an_unchanged_upstream_list_is_neither_written_nor_reloaded(web3, tmp_path):
    unit_dir, loaded, show, base, _servers = web3
    conf = tmp_path / "conf.d"
    conf.mkdir(mode=0o755)
    path = str(conf / "shop-web.conf")
    show["nginx.service"] = {"ActiveState": "active", "MainPID": "0"}
    first = RollingModule(loaded, show)
    assert apply(first, unit_dir, ["web"], counts={"web": 3}, base_port=base,
                 health_checks=CHECKS, upstreams={"web": {"path": path}})["changed"]
    assert ["reload", "nginx.service"] in first.calls
    again = RollingModule(loaded, show)
    result = apply(again, unit_dir, ["web"], counts={"web": 3}, base_port=base,
                   health_checks=CHECKS, upstreams={"web": {"path": path}})
    assert not result["changed"] and result["upstream_files"] == []
    assert not [c for c in again.calls if c[0] in ("-t", "reload")]


class ProxyModule(FakeSystemd):
    """nginx -t fails while SITE_NEEDS is set and the file it names is missing (a site
    configuration that still refers to the upstream); records what the file held at
    each systemctl stop."""

    def __init__(self, loaded, show, path, site_needs):
        FakeSystemd.__init__(self, loaded, show=show)
        self.path, self.site_needs, self.at_stop = path, site_needs, []

    def run_command(self, argv):
        if argv[1:2] == ["-t"] and self.site_needs and not os.path.exists(self.path):
            self.calls.append(argv[1:])
            return 1, "", "host not found in upstream \"shop_web\""
        if argv[1] == "stop":
            with open(self.path) as handle:
                self.at_stop.append(handle.read())
        return FakeSystemd.run_command(self, argv)


def leaving_web(tmp_path, site_needs):
    """shop whose Procfile lost web: web@1 and web@2 ran behind an nginx list."""
    unit_dir = str(tmp_path / "units")
    os.makedirs(unit_dir)
    conf = tmp_path / "conf.d"
    conf.mkdir(mode=0o755)
    path = str(conf / "shop-web.conf")
    with open(path, "w") as handle:
        handle.write("upstream shop_web {\n    server 127.0.0.1:5001;  # web.1\n"
                     "    server 127.0.0.1:5002;  # web.2\n}\n")
    with open(unit(unit_dir, "shop", "web"), "a") as handle:
        handle.write("[Unit]\nX-ProcfileUpstream=path=%s reload=nginx.service\n" % path)
    unit(unit_dir, "shop", "worker")
    enable(unit_dir, "shop", "shop-web@1.service", "shop-web@2.service", "shop-worker@3.service")
    loaded = {"shop-web@1.service": "active", "shop-web@2.service": "active",
              "shop-worker@3.service": "active"}
    show = {"shop.target": {"ActiveState": "active", "UnitFileState": "enabled"},
            "nginx.service": {"ActiveState": "active", "MainPID": "0"}}
    return unit_dir, path, ProxyModule(loaded, show, path, site_needs)


def test_the_unit_file_records_where_the_types_upstream_list_is(tmp_path):
    unit_dir, path, _module = leaving_web(tmp_path, False)
    assert scan_owned_units(unit_dir)["shop"]["upstreams"] == {
        "web": {"path": path, "reload": "nginx.service"}}


def test_a_type_that_left_leaves_its_proxy_list_before_it_stops_and_the_list_goes(tmp_path):
    unit_dir, path, module = leaving_web(tmp_path, site_needs=False)
    result = apply(module, unit_dir, ["worker"], counts={"worker": 1})
    # Empty (nginx checked and reloaded) when web@1 and web@2 stopped; then removed.
    assert len(module.at_stop) == 1 and "# web." not in module.at_stop[0]
    assert "server 127.0.0.1:9 down;" in module.at_stop[0]
    assert [c[0] for c in module.calls if c[0] in ("-t", "reload", "stop")] == [
        "-t", "reload", "stop", "-t", "reload"]
    assert not os.path.exists(path)
    assert result["removed_types"] == ["web"] and result["upstream_files_removed"] == [path]
    assert module.warnings == []


def test_a_list_the_site_still_needs_stays_empty_with_a_warning(tmp_path):
    unit_dir, path, module = leaving_web(tmp_path, site_needs=True)
    result = apply(module, unit_dir, ["worker"], counts={"worker": 1})
    with open(path) as handle:
        assert handle.read() == module.at_stop[0]
    assert "server 127.0.0.1:9 down;" in module.at_stop[0]
    assert result["upstream_files_removed"] == []
    assert [c[0] for c in module.calls if c[0] in ("-t", "reload")] == ["-t", "reload", "-t"]
    [warning] = module.warnings
    assert warning.startswith("Type web of app shop left the Procfile; its upstream file %s "
                              "stays, listing no instance" % path)
    assert "Remove it once your site no longer refers to shop_web." in warning


# ------------------------------------------------------------------- scheduled types (#31)
def scheduled_unit(unit_dir, app, process_type):
    for suffix in ("timer", "service"):
        with open(os.path.join(unit_dir, "%s-%s.%s" % (app, process_type, suffix)), "w") as handle:
            handle.write("[Unit]\nX-ProcfileApp=%s\nX-ProcfileType=%s\n" % (app, process_type))


def test_a_type_that_became_scheduled_loses_its_instances_and_gets_its_timer_started(shop):
    unit_dir, loaded, show, _record = shop
    # The deploy's install wrote worker's timer and service; its template is still there.
    scheduled_unit(unit_dir, "shop", "worker")
    show = dict(show, **{"shop-worker.timer": {"ActiveState": "inactive", "UnitFileState": "disabled"}})
    module = FakeSystemd(loaded, show=show)
    result = apply(module, unit_dir, ["web"], counts={"web": 1}, schedules={"worker": True})
    assert result["removed_types"] == ["worker"] and result["timers"] == ["worker"]
    assert result["timers_started"] == ["shop-worker.timer"] and result["changed"]
    assert not os.path.exists(os.path.join(unit_dir, "shop-worker@.service"))
    assert ["enable", "--quiet", "--", "shop-worker.timer"] in module.calls
    assert module.calls[-1] == ["start", "--", "shop-worker.timer"]
    # Applied again (the timer enabled and active now): nothing to do.
    show["shop-worker.timer"] = {"ActiveState": "active", "UnitFileState": "enabled"}
    module = FakeSystemd({"shop-web@1.service": "active"}, show=show)
    again = apply(module, unit_dir, ["web"], counts={"web": 1}, schedules={"worker": True})
    assert not again["changed"] and module.calls == []


def test_a_scheduled_unit_of_another_app_is_refused_before_any_call(shop):
    unit_dir, loaded, show, _record = shop
    # App shop-report's release unit is what shop's scheduled type "report-release" needs.
    with open(os.path.join(unit_dir, "shop-report-release.service"), "w") as handle:
        handle.write("[Unit]\nX-ProcfileApp=shop-report\n")
    module = FakeSystemd(loaded, show=show)
    with pytest.raises(Failed, match="shop-report-release.service already belongs to app 'shop-report'"):
        apply(module, unit_dir, ["web", "worker"], counts={"web": 1, "worker": 2},
              schedules={"report-release": True})
    assert module.calls == []


def test_pause_stops_the_timers_and_a_running_job_and_resume_starts_the_timers(shop):
    unit_dir, loaded, show, record = shop
    scheduled_unit(unit_dir, "shop", "report")
    show = dict(show, **{"shop-report.timer": {"ActiveState": "active", "UnitFileState": "enabled"},
                         "shop-report.service": {"ActiveState": "activating", "UnitFileState": "static"}})
    module = FakeSystemd(loaded, show=show)
    result = app_states.pause(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, record,
                              ["report"])
    units = ["shop-web@1.service", "shop-worker@2.service", "shop-worker@3.service"]
    assert module.calls == [["stop", "--", "shop-report.timer"], ["stop", "--", "shop-report.service"],
                            ["disable", "--quiet", "--", "shop-report.timer"],
                            ["reset-failed", "--", "shop-report.service"],
                            ["stop", "--"] + units, ["disable", "--quiet", "--"] + units,
                            ["reset-failed", "--"] + units]
    assert result["stop"] == units + ["shop-report.timer", "shop-report.service"]
    with open(record) as handle:
        assert json.load(handle)["timers"] == ["report"]
    module = FakeSystemd({}, show=show)
    resumed = app_states.resume(module, Systemctl(module), "shop", ["web", "worker"], unit_dir, record,
                                ["report"])
    assert module.calls == [["enable", "--quiet", "--"] + units + ["shop-report.timer"],
                            ["start", "--"] + units + ["shop-report.timer"]]
    assert "1 timer(s) started" in resumed["msg"]
