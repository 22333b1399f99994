"""Zero-downtime web on one server: nginx in front of web_count 3 of an app that needs
2 s before it listens (molecule/default/files/roll), with a health check and an
upstream file. While each step runs, one prober sends requests through nginx one after
another (about 30 a second) and another tries every instance's port directly, round
after round. Every step must leave zero failed requests through nginx, no request that
nginx sent to an instance that was not serving (its log of every request's upstream
attempts: a retry on a second instance is a failure, though the client got a 200), and
at least one live instance in every direct round; after each step, the instances that
answer through nginx are exactly those its list holds. The tests count requests and
rounds; they never compare durations.
"""

import pytest
from procfile_testlib import ServerProber, playbook, props, recap_changed

ROOT = "/srv/roll"
BASE_PORT = 7600
UPSTREAM = "/etc/nginx/conf.d/roll-web.conf"
# Written by the site (converge.yml): "$status $upstream_addr $upstream_status" a request.
UPSTREAM_LOG = "/var/log/nginx/roll-upstreams.log"
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


def log_size(host):
    return int(host.check_output("stat -c %%s %s 2>/dev/null || echo 0", UPSTREAM_LOG))


def upstream_attempts(host, since):
    """nginx's log lines of the requests since byte SINCE of its upstream log."""
    return host.check_output("tail -c +%s %s", str(since + 1), UPSTREAM_LOG).splitlines()


def sent_elsewhere(attempts):
    """The requests nginx did not answer from the first instance it tried: tried on a
    second one (an error on the first: "200 127.0.0.1:7601, 127.0.0.1:7602 502, 200"), or
    answered with anything but 200."""
    return [line for line in attempts if "," in line or line.split()[:1] != ["200"]
            or line.split()[-1:] != ["200"]]


class Probers:
    """Requests through nginx, and direct rounds over every port, while a step runs."""

    def __init__(self, host):
        self.host = host
        self.attempts = []
        self.proxy = ServerProber(host, "zd-proxy", "python3 %s/proxy_prober.py http://127.0.0.1/"
                                  % ROOT, OUT + ".proxy", OUT + ".stop")
        self.rounds = ServerProber(host, "zd-direct", "python3 %s/prober.py %s" % (ROOT, PORTS),
                                   OUT + ".direct", OUT + ".stop")

    def __enter__(self):
        self.since = log_size(self.host)
        for prober in (self.proxy, self.rounds):
            prober.start()
        # Both are probing before the step starts.
        for prober in (self.proxy, self.rounds):
            prober.wait_started()
        return self

    def __exit__(self, *exc):
        for prober in (self.proxy, self.rounds):
            prober.finish()
        self.attempts = upstream_attempts(self.host, self.since)

    def proxied(self):
        return self.proxy.lines()

    def direct(self):
        return [int(n) for n in self.rounds.lines()]

    def assert_nothing_sent_elsewhere(self):
        answers = self.proxied()
        failed = [a for a in answers if a != "200"]
        assert len(answers) >= 20 and not failed, (len(answers), failed[:20])
        # Every request the prober sent is in nginx's log, each tried on one instance only.
        assert len(self.attempts) >= len(answers), (len(self.attempts), len(answers))
        elsewhere = sent_elsewhere(self.attempts)
        assert not elsewhere, (len(elsewhere), len(self.attempts), elsewhere[:20])

    def assert_nothing_dropped(self):
        self.assert_nothing_sent_elsewhere()
        rounds = self.direct()
        assert len(rounds) >= 20 and 0 not in rounds, rounds


ANSWERING = """
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(int(sys.argv[1])):
    print(opener.open("http://127.0.0.1/", timeout=30).read().decode().split()[0])
"""


def answering(host, numbers):
    """The instances that answer through nginx: enough requests that each of nginx's
    workers, cycling through its list, reaches every instance listed in NUMBERS."""
    out = host.check_output("python3 -c %s %s", ANSWERING, str(6 * max(len(numbers), 1)))
    return set(out.split())


def assert_nginx_serves_its_list(host):
    """What nginx has loaded, compared with the file: the instances answering through it
    are exactly those the upstream file lists."""
    numbers = listed(host)
    assert numbers
    assert answering(host, numbers) == set("web.%d" % n for n in numbers)


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
    assert_nginx_serves_its_list(host)
    # The log the probers' checks read has a line per request, with its one attempt.
    since = log_size(host)
    answering(host, [1, 2, 3])
    attempts = upstream_attempts(host, since)
    assert len(attempts) == 18 and not sent_elsewhere(attempts), attempts


def test_a_deploy_that_changes_the_environment_drops_no_request(host):
    before = pids(host, (1, 2, 3))
    with Probers(host) as probers:
        _rc, out = deploy(procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    after = pids(host, (1, 2, 3))
    assert all(after[n] != before[n] for n in (1, 2, 3))
    assert listed(host) == [1, 2, 3]
    assert_nginx_serves_its_list(host)
    _rc, out = deploy(procfile_environment={"GREETING": "hello"})
    assert recap_changed(out) == 0


def test_restart_drops_no_request(host):
    before = pids(host, (1, 2, 3))
    with Probers(host) as probers:
        deploy("--tags", "restart", procfile_environment={"GREETING": "hello"})
    # Restarted: new main processes (not the product's own message).
    after = pids(host, (1, 2, 3))
    assert all(after[n] not in (before[n], "0") for n in (1, 2, 3)), (before, after)
    probers.assert_nothing_dropped()
    assert_nginx_serves_its_list(host)


@pytest.mark.parametrize("count", [5, 1, 3])
def test_scaling_drops_no_request(host, count):
    with Probers(host) as probers:
        deploy(web_count=count, procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    assert listed(host) == list(range(1, count + 1))
    assert_nginx_serves_its_list(host)


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
    probers.assert_nothing_sent_elsewhere()
    assert pids(host, (2, 3)) == before
    assert listed(host) == [2, 3]
    assert_nginx_serves_its_list(host)
    host.check_output("echo v3 > %s/VERSION", ROOT)
    with Probers(host) as probers:
        deploy(procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    probers.assert_nothing_dropped()
    assert listed(host) == [1, 2, 3]
    assert_nginx_serves_its_list(host)


# Six requests through nginx, each held by the app until its instance stops (or the test
# releases it): each of nginx's workers cycles through the three instances, so web.3 has
# at least one.
SLOW = """
import os, sys, threading, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
results = []
def one():
    try:
        results.append(str(opener.open("http://127.0.0.1/slow", timeout=280).status))
    except Exception as exc:
        results.append("ERR " + str(exc))
threads = [threading.Thread(target=one) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(chr(10).join(results) + chr(10))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
"""


def test_scale_down_lets_a_slow_request_finish(host):
    """web.3 holds a request that came through nginx, and answers it only once it got its
    stop signal: the scale-down to 2 removes web.3 from nginx's list, stops it, and the
    request still completes with 200 before web.3 is gone (slow-request < stopping <
    slow-done < stopped)."""
    host.run("rm -f /tmp/zd-slow %s/var/release-slow; systemctl reset-failed zd-slow", ROOT)
    mark = len(host.check_output("cat %s/var/events", ROOT).splitlines())

    def slow_requests():
        events = host.check_output("cat %s/var/events", ROOT).splitlines()[mark:]
        return [line.split()[1] for line in events if line.startswith("slow-request ")]

    host.check_output("printf '%%s' %s > /tmp/zd-slow.py", SLOW)
    host.check_output("systemd-run --unit=zd-slow --property=RuntimeMaxSec=600 "
                      "python3 /tmp/zd-slow.py /tmp/zd-slow")
    # All six are held by the instances before the scale-down begins.
    assert host.run("for i in $(seq 600); do [ \"$(tail -n +%s %s/var/events | grep -c "
                    "'^slow-request ')\" -ge 6 ] && exit 0; sleep 0.1; done; exit 1",
                    str(mark + 1), ROOT).rc == 0
    held = slow_requests()
    assert len(held) == 6 and "web.3" in held, held
    try:
        deploy(web_count=2, procfile_revision="v3", procfile_environment={"GREETING": "hello"})
    finally:
        host.run("touch %s/var/release-slow", ROOT)
    assert host.run("for i in $(seq 600); do [ -s /tmp/zd-slow ] && exit 0; sleep 0.1; done; "
                    "exit 1").rc == 0
    host.run("rm -f %s/var/release-slow", ROOT)
    assert host.file("/tmp/zd-slow").content_string.split() == ["200"] * 6
    events = host.check_output("cat %s/var/events", ROOT).splitlines()[mark:]
    web3 = [line.split()[0] for line in events if " web.3 " in line]
    waiting = held.count("web.3")
    assert web3 == ["slow-request"] * waiting + ["stopping"] + ["slow-done"] * waiting + ["stopped"], web3
    assert listed(host) == [1, 2]
    assert_nginx_serves_its_list(host)


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
