"""HAProxy (Debian's package) in front of a second app, "hap": a copy of the roll app
(2 s before it listens) with web_count 3, a health check and an `upstream` setting of
format haproxy. The product writes a `backend hap_web` section into
/etc/haproxy/conf.d/, which haproxy loads with `-f /etc/haproxy/conf.d` (the unit's
EXTRAOPTS, set in /etc/default/haproxy); a frontend of the test's own routes to it.

The frontend's defaults say `retries 0` (and no `option redispatch`): a request sent to an
instance that is not serving fails. While each step
runs, a prober sends requests through haproxy one after another; every one must answer
200. After each step, the servers haproxy has loaded and the instances that answer
through it are exactly those the file lists. The tests count requests; they never
compare durations.
"""

import pytest
from procfile_testlib import ServerProber, playbook, props, recap_changed

ROOT = "/srv/hap"
BASE_PORT = 7800
BACKENDS = "/etc/haproxy/conf.d/hap-web.cfg"
FRONTEND = "/etc/haproxy/conf.d/hap-site.cfg"
DEFAULTS = "/etc/default/haproxy"
URL = "http://127.0.0.1:8090/"
SETTINGS = {"web": {"health_check": {"path": "/", "timeout": 30},
                    "upstream": {"path": BACKENDS, "format": "haproxy"}}}
# A defaults section of its own, read before the product's file (hap-site.cfg sorts
# before hap-web.cfg): no retry at all. HAProxy's own default (3 retries, 1 s apart, on
# the same server) outlasts the app's 2 s boot and would hide a request sent to an
# instance that was restarting.
SITE = """defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s
    retries 0
frontend hap_site
    bind 127.0.0.1:8090
    default_backend hap_web
"""
# Debian's unit runs `haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS`; its default
# EXTRAOPTS is the master socket, kept.
EXTRAOPTS = 'EXTRAOPTS="-S /run/haproxy-master.sock -f /etc/haproxy/conf.d"\n'


def deploy(*args, check=True, **extra):
    settings = dict(procfile_app="hap", procfile_root=ROOT, procfile_base_port=BASE_PORT,
                    procfile_writable_dirs=[ROOT + "/var"], procfile_revision="v1",
                    web_count=3, procfile_process_settings=SETTINGS,
                    procfile_environment={"GREETING": "hello"})
    settings.update(extra)
    return playbook("deploy.yml", *args, check=check, **settings)


def listed(host):
    """The instances the backend file lists (server web.N lines)."""
    text = host.file(BACKENDS).content_string
    return sorted(int(name.split(".")[1]) for name in text.split()
                  if name.startswith("web.") and name.split(".")[1].isdigit())


LOADED = """
import socket
sock = socket.socket(socket.AF_UNIX)
sock.connect("/run/haproxy/admin.sock")
sock.sendall(b"show servers state hap_web\\n")
data = b""
while True:
    chunk = sock.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.decode())
"""


def loaded(host):
    """The servers of backend hap_web that the running haproxy has loaded (its runtime
    API: "<be_id> <be_name> <srv_id> <srv_name> ..." a server)."""
    out = host.check_output("python3 -c %s", LOADED)
    rows = [line.split() for line in out.splitlines() if line and not line.startswith("#")]
    return sorted(int(row[3].split(".")[1]) for row in rows
                  if len(row) > 3 and row[1] == "hap_web" and row[3].startswith("web."))


ANSWERING = """
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(int(sys.argv[2])):
    print(opener.open(sys.argv[1], timeout=30).read().decode().split()[0])
"""


def answering(host, count):
    """The instances that answer through haproxy, asked often enough that its round robin
    reaches each of COUNT listed instances several times."""
    out = host.check_output("python3 -c %s %s %s", ANSWERING, URL, str(6 * max(count, 1)))
    return sorted(int(name.split(".")[1]) for name in set(out.split()))


def assert_haproxy_routes_to_its_list(host, numbers):
    assert listed(host) == numbers
    assert loaded(host) == numbers
    assert answering(host, len(numbers)) == numbers


def pids(host, numbers):
    return dict((n, props(host, "hap-web@%d.service" % n, "MainPID")["MainPID"])
                for n in numbers)


def probing(host):
    """Requests through haproxy, one after another, while a step runs."""
    return ServerProber(host, "hap-prober", "python3 /srv/roll/proxy_prober.py %s" % URL,
                        "/tmp/hap-probes")


def assert_nothing_dropped(prober):
    answers = prober.lines()
    failed = [a for a in answers if a != "200"]
    assert not failed, (len(failed), len(answers), failed[:20])


@pytest.fixture(scope="module", autouse=True)
def hap_app(host):
    """The app deployed first (the backend file exists), then haproxy told to load the
    directory, with a frontend of the test's own; removed at the end."""
    host.check_output("mkdir -p %s /etc/haproxy/conf.d && cp /srv/roll/app.py %s/ && "
                      "echo v1 > %s/VERSION && echo 'web: python3 /srv/hap/app.py' > %s/Procfile",
                      ROOT, ROOT, ROOT, ROOT)
    deploy()
    host.check_output("printf '%%s' %s > %s && printf '%%s' %s > %s && systemctl restart haproxy",
                      EXTRAOPTS, DEFAULTS, SITE, FRONTEND)
    yield
    host.run("rm -f %s %s && systemctl restart haproxy", FRONTEND, DEFAULTS)
    playbook("deploy.yml", "--tags", "remove", check=False, procfile_app="hap",
             procfile_remove_confirm="hap", procfile_remove_user=True,
             procfile_process_settings=SETTINGS)
    host.run("rm -rf %s %s", ROOT, BACKENDS)


def test_the_backend_lists_the_three_instances_and_haproxy_routes_to_them(host):
    text = host.file(BACKENDS).content_string
    assert "backend hap_web" in text and "server web.1 127.0.0.1:7801 check" in text, text
    assert props(host, "haproxy.service", "ActiveState")["ActiveState"] == "active"
    assert_haproxy_routes_to_its_list(host, [1, 2, 3])


def test_a_deploy_that_restarts_every_instance_drops_no_request(host):
    before = pids(host, (1, 2, 3))
    with probing(host) as prober:
        _rc, out = deploy(procfile_environment={"GREETING": "hej"})
    assert_nothing_dropped(prober)
    after = pids(host, (1, 2, 3))
    assert all(after[n] not in (before[n], "0") for n in (1, 2, 3)), (before, after)
    assert_haproxy_routes_to_its_list(host, [1, 2, 3])
    _rc, out = deploy(procfile_environment={"GREETING": "hej"})
    assert recap_changed(out) == 0


@pytest.mark.parametrize("count", [5, 2])
def test_scaling_drops_no_request(host, count):
    with probing(host) as prober:
        deploy(web_count=count, procfile_environment={"GREETING": "hej"})
    assert_nothing_dropped(prober)
    assert_haproxy_routes_to_its_list(host, list(range(1, count + 1)))
