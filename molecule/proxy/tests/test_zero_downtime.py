"""Zero-downtime web on one server: nginx in front of web_count 3 of an app that needs
2 s before it listens (molecule/default/files/roll), with a health check and an
upstream file. While each step runs, one prober sends requests through nginx one after
another (about 30 a second) and another tries every instance's port directly, round
after round. Every step must leave zero failed requests through nginx and at least one
live instance in every direct round. The tests count requests and rounds; they never
compare durations.
"""

import pytest
from procfile_testlib import playbook, props, recap_changed

ROOT = "/srv/roll"
BASE_PORT = 7600
UPSTREAM = "/etc/nginx/conf.d/roll-web.conf"
SETTINGS = {"web": {"health_check": {"path": "/", "timeout": 30},
                    "upstream": {"path": UPSTREAM}}}
PORTS = ",".join(str(BASE_PORT + n) for n in range(1, 6))
OUT = "/tmp/zd"


def deploy(*args, check=True, **extra):
    settings = dict(procfile_app="roll", procfile_root=ROOT, procfile_base_port=BASE_PORT,
                    procfile_writable_dirs=[ROOT + "/var"], procfile_revision="v1",
                    web_count=3, procfile_process_settings=SETTINGS)
    settings.update(extra)
    return playbook("deploy.yml", *args, check=check, **settings)


class Probers:
    """Requests through nginx, and direct rounds over every port, while a step runs."""

    def __init__(self, host):
        self.host = host

    def __enter__(self):
        self.host.run("rm -f %s.*", OUT)
        for unit, command in (
                ("zd-proxy", "python3 %s/proxy_prober.py http://127.0.0.1/ %s.proxy %s.stop"
                 % (ROOT, OUT, OUT)),
                ("zd-direct", "python3 %s/prober.py %s %s.direct %s.stop" % (ROOT, PORTS, OUT, OUT))):
            self.host.check_output("systemd-run --unit=%s --property=RuntimeMaxSec=900 %s"
                                   % (unit, command))
        # Both are probing before the step starts.
        for suffix in ("proxy", "direct"):
            assert self.host.run("for i in $(seq 300); do [ -s %s.%s ] && exit 0; sleep 0.1; "
                                 "done; exit 1", OUT, suffix).rc == 0
        return self

    def __exit__(self, *exc):
        self.host.run("touch %s.stop", OUT)
        for unit in ("zd-proxy", "zd-direct"):
            self.host.run("for i in $(seq 200); do systemctl is-active -q %s || break; "
                          "sleep 0.1; done; systemctl stop %s; systemctl reset-failed %s",
                          unit, unit, unit)

    def proxied(self):
        return self.host.check_output("cat %s.proxy", OUT).splitlines()

    def direct(self):
        return [int(n) for n in self.host.check_output("cat %s.direct", OUT).split()]

    def assert_nothing_dropped(self):
        answers = self.proxied()
        failed = [a for a in answers if a != "200"]
        assert len(answers) >= 20 and not failed, (len(answers), failed[:20])
        rounds = self.direct()
        assert len(rounds) >= 20 and 0 not in rounds, rounds


def pids(host, numbers):
    return dict((n, props(host, "roll-web@%d.service" % n, "MainPID")["MainPID"])
                for n in numbers)


def listed(host):
    """The instances the upstream file lists (web.N comments)."""
    text = host.file(UPSTREAM).content_string
    return sorted(int(part.split(".")[1]) for part in text.split()
                  if part.startswith("web.") and part.split(".")[1].isdigit())


def test_the_upstream_lists_the_three_instances_and_nginx_serves_them(host):
    assert listed(host) == [1, 2, 3]
    assert "upstream roll_web {" in host.file(UPSTREAM).content_string
    seen = set(host.check_output("for i in $(seq 12); do python3 -c \"import urllib.request;"
                                 "print(urllib.request.urlopen('http://127.0.0.1/').read()"
                                 ".decode().split()[0])\"; done").split())
    assert seen == {"web.1", "web.2", "web.3"}


def test_a_deploy_that_changes_the_environment_drops_no_request(host):
    before = pids(host, (1, 2, 3))
    with Probers(host) as probers:
        _rc, out = deploy(procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    after = pids(host, (1, 2, 3))
    assert all(after[n] != before[n] for n in (1, 2, 3))
    assert listed(host) == [1, 2, 3]
    _rc, out = deploy(procfile_environment={"GREETING": "hello"})
    assert recap_changed(out) == 0


def test_restart_drops_no_request(host):
    with Probers(host) as probers:
        _rc, out = deploy("--tags", "restart", procfile_environment={"GREETING": "hello"})
    assert "roll: restarted 3 instances" in out
    probers.assert_nothing_dropped()


@pytest.mark.parametrize("count", [5, 1, 3])
def test_scaling_drops_no_request(host, count):
    with Probers(host) as probers:
        deploy(web_count=count, procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    assert listed(host) == list(range(1, count + 1))


def test_a_version_that_fails_its_check_drops_no_request(host):
    """v2 never listens: the roll stops at web.1; web.2 and web.3 serve all along, and
    nginx never sends a request to web.1 (out of the list before it stopped)."""
    before = pids(host, (2, 3))
    host.check_output("echo v2 > %s/VERSION", ROOT)
    with Probers(host) as probers:
        rc, out = deploy(check=False, procfile_revision="v2",
                         procfile_environment={"GREETING": "hello", "BROKEN": "1"},
                         procfile_process_settings={"web": dict(
                             SETTINGS["web"], health_check={"path": "/", "timeout": 5})})
    assert rc != 0 and "roll-web@1.service" in out
    answers = probers.proxied()
    assert len(answers) >= 20 and set(answers) == {"200"}, [a for a in answers if a != "200"][:20]
    assert pids(host, (2, 3)) == before
    assert listed(host) == [2, 3]
    host.check_output("echo v3 > %s/VERSION", ROOT)
    with Probers(host) as probers:
        deploy(procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    assert listed(host) == [1, 2, 3]


def test_scale_down_lets_a_slow_request_finish(host):
    """web.3 is in the middle of a 3 s request when a scale-down to 2 removes it: the
    request completes with 200 before web.3 stops."""
    host.run("rm -f /tmp/zd-slow")
    host.check_output(
        "systemd-run --unit=zd-slow python3 -c \"import urllib.request;"
        "r = urllib.request.urlopen('http://127.0.0.1:%s/slow', timeout=60);"
        "open('/tmp/zd-slow', 'w').write(str(r.status))\"", str(BASE_PORT + 3))
    assert host.run("for i in $(seq 300); do grep -q 'slow-request web.3' %s/var/events && "
                    "exit 0; sleep 0.1; done; exit 1", ROOT).rc == 0
    deploy(web_count=2, procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    assert host.run("for i in $(seq 300); do [ -s /tmp/zd-slow ] && exit 0; sleep 0.1; done; "
                    "exit 1").rc == 0
    assert host.file("/tmp/zd-slow").content_string == "200"
    events = host.check_output("cat %s/var/events", ROOT).splitlines()
    web3 = [line.split()[0] for line in events if " web.3 " in line]
    assert web3[-3:] == ["slow-request", "stopping", "stopped"], web3[-5:]
    assert listed(host) == [1, 2]


def test_status_shows_what_the_upstream_lists(host):
    _rc, out = deploy("--tags", "status", web_count=2, procfile_revision="v3",
                      procfile_environment={"GREETING": "hello"})
    assert "web upstream roll_web (%s): web.1 web.2" % UPSTREAM in out, out[-3000:]


def test_a_configuration_nginx_refuses_fails_the_run_and_keeps_the_previous_file(host):
    """A scale from 2 to 3 would add web.3 to the list, but nginx -t refuses the whole
    configuration (another file of the user's is broken): the run fails, and the file
    nginx would have reloaded is the previous one again."""
    deploy(web_count=2, procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    before = host.file(UPSTREAM).content_string
    assert listed(host) == [1, 2]
    host.check_output("echo 'this is not nginx;' > /etc/nginx/conf.d/zz-broken.conf")
    try:
        rc, out = deploy(check=False, web_count=3, procfile_revision="v3",
                         procfile_environment={"GREETING": "hello"})
        assert rc != 0
        assert "nginx -t refused the configuration" in out, out[-3000:]
        assert "The previous upstream file(s) are back in place (%s)" % UPSTREAM in out
        assert host.file(UPSTREAM).content_string == before
    finally:
        host.run("rm -f /etc/nginx/conf.d/zz-broken.conf")
    deploy(web_count=3, procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    assert listed(host) == [1, 2, 3]


def test_pause_deploy_while_paused_and_resume_keep_the_list(host):
    """A deploy while paused starts nothing and leaves the list alone; resume brings the
    same instances back, and nginx serves them again."""
    deploy("--tags", "pause", web_count=3, procfile_revision="v3",
           procfile_environment={"GREETING": "hello"})
    deploy(web_count=3, procfile_revision="v3", procfile_environment={"GREETING": "paused"})
    assert listed(host) == [1, 2, 3]
    deploy("--tags", "resume", web_count=3, procfile_revision="v3",
           procfile_environment={"GREETING": "paused"})
    assert host.run("for i in $(seq 300); do python3 -c \"import urllib.request;"
                    "urllib.request.urlopen('http://127.0.0.1/', timeout=5)\" && exit 0; "
                    "sleep 0.1; done; exit 1").rc == 0
    assert listed(host) == [1, 2, 3]


LEAVE_LIST = "/etc/nginx/conf.d/leave-api.conf"
SERVE = "python3 -m http.server $PORT --bind 127.0.0.1"


def deploy_leave(host, types, settings):
    """App "leave": the given types, each a plain HTTP server."""
    # One printf argument per line (testinfra quotes each argument it substitutes).
    lines = ["%s: %s" % (t, SERVE) for t in types]
    host.check_output("mkdir -p /srv/leave && printf '%%s\\n'" + " %s" * len(lines)
                      + " > /srv/leave/Procfile", *lines)
    assert host.file("/srv/leave/Procfile").content_string == "".join(line + "\n" for line in lines)
    return playbook("deploy.yml", procfile_app="leave", procfile_root="/srv/leave",
                    procfile_base_port=7700, procfile_process_settings=settings)


@pytest.mark.parametrize("site_refers_to_it", [False, True], ids=["unused", "in-a-site"])
def test_a_type_that_leaves_the_procfile_takes_its_list_along(host, site_refers_to_it):
    """api had an upstream file; the Procfile loses api. Its list empties before api
    stops, then the file goes, unless a site of the user's still proxies to it: then it
    stays, listing no instance, nginx keeps loading its configuration, and the run warns."""
    deploy_leave(host, ["web", "api"], {"api": {"upstream": {"path": LEAVE_LIST}}})
    assert "# api." in host.file(LEAVE_LIST).content_string
    site = "/etc/nginx/sites-enabled/leave"
    if site_refers_to_it:
        host.check_output("printf '%%s\\n' %s > %s && systemctl reload nginx",
                          "server { listen 127.0.0.1:8081; location / { proxy_pass http://leave_api; } }",
                          site)
    try:
        _rc, out = deploy_leave(host, ["web"], {})
        assert host.run("systemctl list-units --all --plain --no-legend 'leave-api@*'").stdout == ""
        assert not host.file("/etc/systemd/system/leave-api@.service").exists
        if site_refers_to_it:
            text = host.file(LEAVE_LIST).content_string
            assert "# api." not in text and "down;  # no instance is running" in text
            folded = " ".join(out.split())
            assert "left the Procfile; its upstream file" in folded, out[-3000:]
            assert "stays, listing no instance" in folded
            assert host.run("nginx -t -q").rc == 0
        else:
            assert not host.file(LEAVE_LIST).exists
        assert props(host, "nginx.service", "ActiveState")["ActiveState"] == "active"
    finally:
        host.run("rm -f %s && systemctl reload nginx", site)
        host.run("rm -f %s", LEAVE_LIST)
