"""The example queue app: jobs flow through web, Redis and RQ workers, through a crash,
a reboot and a pause; the Redis password stays a secret."""

import json

from procfile_testlib import PROJECT, instances, playbook, props, reboot, recap_changed, wait_for

PASSWORD = "queue-canary-pw-7c1d55"
WEB = "http://127.0.0.1:5001"
DEPLOY = str(PROJECT / "playbooks" / "deploy.yml")


def web(host, path="/", method="GET"):
    out = host.check_output(
        "python3 -c \"import urllib.request, sys; r = urllib.request.urlopen(urllib.request."
        "Request('%s%s', method='%s'), timeout=5); sys.stdout.write(r.read().decode())\""
        % (WEB, path, method))
    return json.loads(out)


def counts(host):
    return wait_for(lambda: _try(lambda: web(host)), 60)


def _try(fn):
    try:
        return fn()
    except (AssertionError, ValueError):
        return None


def enqueue_and_wait(host, jobs=20, timeout=20):
    before = counts(host)["processed"]
    web(host, "/jobs?count=%d" % jobs, "POST")
    done = wait_for(lambda: counts(host)["processed"] >= before + jobs, timeout, 0.3)
    assert done, counts(host)
    return counts(host)


def test_jobs_enqueued_through_web_are_processed(host):
    after = enqueue_and_wait(host)
    assert after["queued"] == 0
    assert after["schema_version"] == "3", "the release phase did not run"


def test_rq_worker_names_are_distinct_and_from_unique_int(host):
    numbers = instances(host, "example", "worker")
    assert len(numbers) == 3
    assert counts(host)["workers"] == sorted("worker-%d" % n for n in numbers)


def test_kill_9_of_web_and_scheduler_and_jobs_keep_flowing(host):
    for unit in ("example-web@1.service", "example-scheduler@6.service"):
        before = props(host, unit, "MainPID", "NRestarts")
        host.check_output("kill -9 %s" % before["MainPID"])
        # A generous deadline: restarting is RestartSec (1 s) and a boot, on a loaded machine.
        assert wait_for(lambda: props(host, unit, "ActiveState", "MainPID")["MainPID"]
                        not in ("0", before["MainPID"]), 60)
        assert int(props(host, unit, "NRestarts")["NRestarts"]) == int(before["NRestarts"]) + 1
    enqueue_and_wait(host)


def test_restart_reaches_rq_which_deregisters_and_comes_back_under_its_name(host):
    workers = ["example-worker@%d.service" % n for n in instances(host, "example", "worker")]
    before = dict((w, props(host, w, "MainPID")["MainPID"]) for w in workers)
    playbook(DEPLOY, "--tags", "restart", procfile_restart_type="worker")
    # Restarted: each worker has a new main process (not the product's own message).
    after = dict((w, props(host, w, "MainPID")["MainPID"]) for w in workers)
    assert len(workers) == 3 and all(after[w] not in ("0", before[w]) for w in workers), (before, after)
    journal = host.check_output("journalctl --no-pager -o cat -u example-worker@3.service")
    # One stop signal reached RQ: a warm shutdown, never a second signal's cold one.
    assert "Warm shut down requested" in journal
    assert "Cold shut down" not in journal
    for n in instances(host, "example", "worker"):
        assert props(host, "example-worker@%d.service" % n, "NRestarts")["NRestarts"] == "0"
    assert wait_for(lambda: len(counts(host)["workers"]) == 3, 60)
    enqueue_and_wait(host)


def test_reboot_everything_back_no_restart_loop_jobs_flow(host):
    reboot(host)
    for t, n in (("web", 2), ("worker", 3), ("scheduler", 1)):
        assert len(instances(host, "example", t)) == n, t
    # Workers stopped before Redis at shutdown and deregistered, so the same names are
    # accepted again at boot: no instance is stuck restarting.
    assert wait_for(lambda: len(counts(host)["workers"]) == 3, 60), counts(host)
    for n in instances(host, "example", "worker"):
        assert props(host, "example-worker@%d.service" % n, "NRestarts")["NRestarts"] == "0"
    enqueue_and_wait(host)


def test_pause_holds_jobs_and_resume_drains_them(host):
    playbook(DEPLOY, "--tags", "pause")
    assert instances(host, "example", "worker") == []
    # The web process is paused too: enqueue straight into Redis, as another app would.
    host.check_output(
        "cd /srv/example/current && REDIS_URL=$(sed -n 's/^REDIS_URL=\"\\(.*\\)\"$/\\1/p' "
        "/etc/procfile-systemd/example/environment) python3 -c \"import os, redis, rq, tasks; "
        "q = rq.Queue('default', connection=redis.Redis.from_url(os.environ['REDIS_URL'])); "
        "[q.enqueue(tasks.process) for _ in range(15)]\"")
    queued = host.check_output(
        "redis-cli -a %s --no-auth-warning llen rq:queue:default" % PASSWORD)
    assert int(queued) >= 15
    playbook(DEPLOY, "--tags", "resume")
    assert wait_for(lambda: counts(host)["queued"] == 0, 120), counts(host)
    enqueue_and_wait(host)


def test_redis_password_is_a_secret(host):
    assert host.run("grep -rl %s /etc/systemd /var/lib/procfile-systemd /srv" % PASSWORD).stdout == ""
    assert PASSWORD not in host.check_output("systemctl show 'example-*'")
    # Not on any command line either (every local user can read those).
    assert PASSWORD not in host.check_output("ps -eo args")
    f = host.file("/etc/procfile-systemd/example/environment")
    assert f.mode == 0o600 and f.user == "root" and PASSWORD in f.content_string
    rc, out = playbook(DEPLOY, "-vvv", "--diff")
    assert recap_changed(out) == 0
    assert PASSWORD not in out
    rc, out = playbook(str(PROJECT / "examples" / "playbooks" / "redis.yml"), "-vvv")
    assert PASSWORD not in out
