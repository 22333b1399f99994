"""Front-proxy upstream files: their text, what they list, and the setting's checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import upstream as upstream_module
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import (
    Upstreams,
    full_setting,
    members_in,
    render,
    upstream_errors,
)
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import Failed, FakeSystemd


def test_nginx_block_lists_each_instance_with_its_name():
    setting = full_setting("shop", "web", {"path": "/etc/nginx/conf.d/shop-web.conf"})
    assert setting == {"path": "/etc/nginx/conf.d/shop-web.conf", "format": "nginx",
                       "name": "shop_web", "reload": "nginx.service"}
    text = render(setting, "shop", "web", [(1, 5001), (3, 5003)])
    assert text.endswith("upstream shop_web {\n    server 127.0.0.1:5001;  # web.1\n"
                         "    server 127.0.0.1:5003;  # web.3\n}\n")
    assert members_in(text, "web") == [1, 3]


def test_nginx_block_without_instances_still_loads():
    # nginx refuses an upstream with no server: one marked down keeps the config valid.
    text = render(full_setting("shop", "web", {"path": "/x"}), "shop", "web", [])
    assert "server 127.0.0.1:9 down;" in text and members_in(text, "web") == []


def test_haproxy_backend():
    setting = full_setting("shop", "api-v2", {"path": "/etc/haproxy/conf.d/shop.cfg",
                                              "format": "haproxy", "name": "shop"})
    assert setting["reload"] == "haproxy.service"
    text = render(setting, "shop", "api-v2", [(2, 5002)])
    assert text.endswith("backend shop\n    server api-v2.2 127.0.0.1:5002 check\n")
    assert members_in(text, "api-v2") == [2]


def test_haproxy_backend_without_instances_is_a_valid_section():
    # HAProxy loads a backend with no server (it answers 503): a comment says why.
    setting = full_setting("shop", "web", {"path": "/x.cfg", "format": "haproxy"})
    text = render(setting, "shop", "web", [])
    assert text.endswith("backend shop_web\n    # no instance is running\n")
    assert members_in(text, "web") == []


def test_a_reload_unit_of_the_users_own():
    assert full_setting("shop", "web", {"path": "/x", "reload": "openresty.service"})["reload"] \
        == "openresty.service"


def test_default_name_is_a_valid_nginx_name():
    assert full_setting("my-shop", "web-api", {"path": "/x"})["name"] == "my_shop_web_api"


@pytest.mark.parametrize("value, words", [
    ("/etc/nginx/conf.d/x.conf", "must be a dict"),
    ({}, ".path None: an absolute path"),
    ({"path": "conf.d/x.conf"}, ".path 'conf.d/x.conf': an absolute path"),
    ({"path": "/etc/nginx/../x.conf"}, "an absolute path"),
    ({"path": "/etc/nginx/conf.d/"}, "an absolute path to a file"),
    ({"path": "/x.conf", "format": "caddy"}, ".format 'caddy': one of nginx, haproxy"),
    ({"path": "/x.conf", "name": "shop web"}, ".name 'shop web'"),
    ({"path": "/x.conf", "reload": "nginx"}, ".reload 'nginx': the proxy's service unit"),
    ({"path": "/x.conf", "template": "my.j2"}, ".template: unknown key"),
])
def test_bad_settings_name_the_key_and_the_rule(value, words):
    assert any(words in e for e in upstream_errors("s.upstream", value)), \
        upstream_errors("s.upstream", value)


def test_a_good_setting_has_no_error():
    assert upstream_errors("s", {"path": "/etc/nginx/conf.d/shop-web.conf", "format": "nginx",
                                 "name": "shop_web", "reload": "nginx.service"}) == []


# ------------------------------------------------------------------------- root's writes

@pytest.fixture(name="proxy")
def fixture_proxy(tmp_path):
    """shop's web listed in conf.d/shop-web.conf, a directory only root can change; nginx
    is stopped (no reload) and `nginx -t` accepts."""
    conf = tmp_path / "conf.d"
    conf.mkdir()
    os.chmod(str(conf), 0o755)
    module = FakeSystemd({}, show={"nginx.service": {"ActiveState": "inactive"}})
    upstreams = Upstreams(module, Systemctl(module), "shop", 5000,
                          {"web": {"path": str(conf / "shop-web.conf")}})
    assert upstreams.check_paths() == []
    return upstreams, conf, module


def test_publish_writes_a_root_owned_file_without_any_change_by_name(proxy, monkeypatch):
    upstreams, conf, _module = proxy

    def by_name(*args, **kwargs):
        raise AssertionError("changed by name: %r" % (args,))
    monkeypatch.setattr(os, "chmod", by_name)
    monkeypatch.setattr(os, "chown", by_name)
    old = os.umask(0o077)
    try:
        assert upstreams.publish({"web": [1, 2]}) == [str(conf / "shop-web.conf")]
    finally:
        os.umask(old)
    st = os.stat(str(conf / "shop-web.conf"))
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)
    assert members_in((conf / "shop-web.conf").read_text(), "web") == [1, 2]
    assert os.listdir(str(conf)) == ["shop-web.conf"]


def test_retire_removes_the_file_in_its_checked_directory(proxy):
    upstreams, conf, _module = proxy
    upstreams.publish({"web": []})
    assert upstreams.retire(["web"]) == [str(conf / "shop-web.conf")]
    assert os.listdir(str(conf)) == []


def test_a_directory_swapped_for_a_link_after_the_check_gets_nothing(proxy, tmp_path):
    """conf.d becomes a link to another directory between check_paths and the write:
    nothing is written through the link, and the module fails naming it."""
    upstreams, conf, module = proxy
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    conf.rmdir()
    os.symlink(str(elsewhere), str(conf))
    with pytest.raises(Failed, match="is a symbolic link.*Nothing was written through it"):
        upstreams.publish({"web": [1]})
    assert os.listdir(str(elsewhere)) == []
    assert not [c for c in module.calls if c[:1] == ["-t"]]


def test_a_file_swapped_for_a_link_is_neither_read_nor_written(proxy, tmp_path):
    """The upstream file becomes a link to a file root may read: root neither copies that
    file's text into the list's place (a failed reload puts back what it read) nor writes
    through it."""
    upstreams, conf, _module = proxy
    secret = tmp_path / "shadow"
    secret.write_text("root:secret\n")
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), str(conf / "shop-web.conf"))
    with pytest.raises(Failed, match="not a regular file.*Nothing was written through it"):
        upstreams.publish({"web": [1]})
    assert secret.read_text() == "root:secret\n" and os.stat(str(secret)).st_mode & 0o777 == 0o600
    assert os.path.islink(str(conf / "shop-web.conf"))


def test_a_directory_others_can_change_since_the_check_is_refused_at_the_write(proxy):
    upstreams, conf, _module = proxy
    os.chmod(str(conf), 0o777)
    with pytest.raises(Failed, match="conf.d can be changed by group or other users"):
        upstreams.publish({"web": [1]})
    assert os.listdir(str(conf)) == []


def test_a_failed_check_puts_the_previous_list_back_root_owned(proxy):
    upstreams, conf, module = proxy
    path = conf / "shop-web.conf"
    upstreams.publish({"web": [1]})
    before = path.read_text()
    module.run_command = lambda argv, check_rc=False: (1, "", "emerg: bad") \
        if argv[1:2] == ["-t"] else FakeSystemd.run_command(module, argv)
    with pytest.raises(Failed, match="nginx -t refused the configuration: emerg: bad"):
        upstreams.publish({"web": [1, 2]})
    st = os.stat(str(path))
    assert path.read_text() == before and (st.st_uid, st.st_mode & 0o7777) == (0, 0o644)
    assert os.listdir(str(conf)) == ["shop-web.conf"]


# ------------------------------------------------------------------------- the reload
# A proxy as nginx and HAProxy run: a master whose workers share its listening socket. On
# SIGHUP it starts a worker of the new configuration, then tells the old one to quit; the
# old worker closes its listener a moment later (it would then only finish the requests it
# has) and stays, so that only its closing can end the wait, not its exit.
MASTER = r"""
import os, signal, socket, sys, time
out = sys.argv[1]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)

def worker(generation):
    pid = os.fork()
    if pid:
        return pid
    def quit_(*_):
        time.sleep(1)
        listener.close()
        open(os.path.join(out, "closed-%d" % generation), "w").close()
    signal.signal(signal.SIGQUIT, quit_)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        signal.pause()

workers = [worker(1)]
def reload_(*_):
    workers.append(worker(len(workers) + 1))
    os.kill(workers[-2], signal.SIGQUIT)
signal.signal(signal.SIGHUP, reload_)
open(os.path.join(out, "ready"), "w").close()
while True:
    signal.pause()
"""


class ReloadingSystemd(FakeSystemd):
    """systemctl reload sends the proxy's master SIGHUP, as nginx.service's ExecReload does;
    with FAIL, it fails instead, as a reload of a stopped or broken proxy does."""

    def __init__(self, master_pid, fail=False):
        FakeSystemd.__init__(self, {}, show={"nginx.service": {"ActiveState": "active",
                                                               "MainPID": str(master_pid)}})
        self.master_pid, self.fail = master_pid, fail

    def run_command(self, argv, check_rc=False):
        if argv[1:2] == ["reload"]:
            self.calls.append(argv[1:])
            if self.fail:
                return 1, "", "Job for nginx.service failed."
            os.kill(self.master_pid, signal.SIGHUP)
            return 0, "", ""
        return FakeSystemd.run_command(self, argv)


@pytest.fixture(name="master")
def fixture_master(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", MASTER, str(tmp_path)])
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "ready").exists()
        yield proc, tmp_path
    finally:
        for child in upstream_module._children(proc.pid):
            os.kill(child, signal.SIGKILL)
        proc.kill()
        proc.wait()


def reload_proxy(tmp_path, module):
    conf = tmp_path / "conf.d"
    conf.mkdir()
    os.chmod(str(conf), 0o755)
    upstreams = Upstreams(module, Systemctl(module), "shop", 5000,
                          {"web": {"path": str(conf / "shop-web.conf")}})
    upstreams._check = lambda formats: None  # no nginx binary here
    return upstreams, conf


def test_the_reload_waits_until_no_old_worker_can_accept_a_connection(master):
    proc, out = master
    old = upstream_module._children(proc.pid)
    assert len(old) == 1 and upstream_module._accepting(old) == old
    upstreams, _conf = reload_proxy(out, ReloadingSystemd(proc.pid))
    upstreams.publish({"web": [1, 2]})
    # When publish returns, the old worker has closed its listener (it is still alive,
    # finishing what it has), and the new worker holds one: an instance stopped now is
    # reached by no worker that routes by the old list.
    assert (out / "closed-1").exists()
    assert upstream_module._accepting(old) == set()
    assert old <= upstream_module._children(proc.pid)
    new = upstream_module._children(proc.pid) - old
    assert len(new) == 1 and upstream_module._accepting(new) == new


def test_a_failed_reload_puts_the_previous_file_back_and_fails(master, tmp_path):
    proc, out = master
    module = ReloadingSystemd(proc.pid, fail=True)
    upstreams, conf = reload_proxy(out, module)
    path = conf / "shop-web.conf"
    module.fail = False
    upstreams.publish({"web": [1]})
    before = path.read_text()
    module.fail = True
    with pytest.raises(Failed, match="systemctl reload nginx.service failed .rc 1.: Job for nginx.service failed"):
        upstreams.publish({"web": [1, 2]})
    assert path.read_text() == before and members_in(before, "web") == [1]
    assert os.listdir(str(conf)) == ["shop-web.conf"]
