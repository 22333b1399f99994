"""--tags run (one-off commands) and the host command procfile-run, on a booted systemd:
the command runs exactly as an instance runs, its output and exit status come back, a
timeout leaves nothing behind, runs overlap, and a deploy is never blocked by one."""

import base64
import re

from procfile_testlib import background_playbook, playbook, props, recap, recap_changed, wait_for

DATA = "/var/lib/shop-data"
SECRET = "canary-s3cr3t-9f8e7d"
# What differs between two units by design: the process's own name and number, and what
# systemd sets per invocation (JOURNAL_STREAM only where stdout is the journal).
PER_PROCESS = {"DYNO", "PS", "UNIQUE_INT", "PROCFILE_TYPE", "INVOCATION_ID", "JOURNAL_STREAM",
               "SYSTEMD_EXEC_PID"}


def run(*args, check=True, **extra_vars):
    return playbook("shop.yml", "--tags", "run", *args, check=check, **extra_vars)


def environ(host, path):
    raw = base64.b64decode(host.check_output("base64 -w0 %s", path))
    return dict(entry.split(b"=", 1) for entry in raw.split(b"\0") if entry)


def one_offs(host):
    out = host.check_output("systemctl list-units --all --plain --no-legend --full 'shop-run-*'")
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_output_and_exit_status_come_back_and_the_run_changes_no_instance(host):
    playbook("shop.yml")
    pids = dict((u, props(host, u, "MainPID")["MainPID"]) for u in ("shop-web@1.service", "shop-worker@3.service"))
    rc, out = run(procfile_command='echo "first line"; echo "to stderr" >&2; echo "$DYNO as $(id -un) in $(pwd)"')
    assert "exit status 0" in out and "first line" in out and "to stderr" in out
    dyno = re.search(r"(run\.\d+) as shop in /srv/shop", out)
    assert dyno, out[-3000:]
    assert re.search(r"procfile-run: shop %s \(shop-run-\d+\.service\)" % re.escape(dyno.group(1)), out)
    assert recap_changed(out) == 1
    # Logged: the journal has the one-off's start, with the command (never the environment).
    number = dyno.group(1).split(".")[1]
    journal = host.check_output("journalctl --no-pager -u shop-run-%s.service", number)
    assert "shop %s: echo" % dyno.group(1) in journal
    # Gone after it ended, and no instance was touched.
    assert one_offs(host) == []
    assert pids == dict((u, props(host, u, "MainPID")["MainPID"]) for u in pids)

    rc, out = run(check=False, procfile_command="echo partial output; exit 3")
    assert rc != 0
    assert "partial output" in out and "exit status 3" in out
    assert "echo partial output; exit 3 exited with status 3 on" in out


def test_the_command_sees_what_an_instance_sees_byte_for_byte(host):
    # Wait until worker 3 is up: its main process is the wrapper shell, whose environment
    # is exactly what systemd gave it (PORT is the shell's own addition, not there).
    pid = wait_for(lambda: int(props(host, "shop-worker@3.service", "MainPID")["MainPID"]), 60)
    assert pid
    host.run("rm -f %s/run.environ", DATA)
    rc, out = run(procfile_command="cat /proc/$$/environ > %s/run.environ; readlink /proc/$$/cwd; id" % DATA)
    instance = environ(host, "/proc/%d/environ" % pid)
    one_off = environ(host, "%s/run.environ" % DATA)
    assert one_off[b"DYNO"].startswith(b"run.") and one_off[b"PROCFILE_TYPE"] == b"run"
    assert instance[b"DYNO"] == b"worker.3"
    same = dict((k, v) for k, v in instance.items() if k.decode() not in PER_PROCESS)
    assert dict((k, v) for k, v in one_off.items() if k.decode() not in PER_PROCESS) == same
    # The values that matter are really in both (a comparison of two empty dicts proves nothing).
    assert same[b"SECRET_TOKEN"] == SECRET.encode() and b"PATH" in same and same[b"USER"] == b"shop"
    assert host.check_output("readlink /proc/%s/cwd", str(pid)) == "/srv/shop"
    assert "/srv/shop" in out and re.search(r"uid=\d+\(shop\) gid=\d+\(shop\)", out)
    uid = host.check_output("id -u shop")
    assert re.search(r"^Uid:\s+%s\s" % uid, host.check_output("cat /proc/%s/status", str(pid)), re.M)
    # The instances' hardening: no new privileges, a /tmp of its own.
    host.run("rm -f /tmp/run-tmp-marker")
    rc, out = run(procfile_command="grep NoNewPrivs /proc/$$/status; touch /tmp/run-tmp-marker && echo wrote tmp")
    assert re.search(r"NoNewPrivs:\s+1", out) and "wrote tmp" in out
    assert not host.file("/tmp/run-tmp-marker").exists


def test_a_secret_is_in_no_output_unless_the_command_prints_it(host):
    rc, out = run("-v", procfile_command="echo nothing secret here")
    assert "nothing secret here" in out
    assert SECRET not in out
    # Positive control: the same search finds it when the command prints it.
    rc, out = run(procfile_command="printenv SECRET_TOKEN")
    assert SECRET in out


def test_a_command_past_its_timeout_is_stopped_and_leaves_nothing(host):
    rc, out = run(check=False, procfile_run_timeout=3,
                  procfile_command="sleep 4242 & echo started child; sleep 4343")
    assert rc != 0
    assert "started child" in out
    assert "ran longer than procfile_run_timeout (3 s)" in out and "exit status 124" in out
    assert one_offs(host) == []
    assert host.run("pgrep -f 'sleep 4[23]4[23]'").rc == 1


def test_two_runs_at_once_and_a_deploy_beside_them(host):
    host.run("rm -f %s/one-here %s/two-here %s/go", DATA, DATA, DATA)
    # Each waits (up to four minutes) for the other to have started: both print "saw" only
    # if they really ran at the same time. The first also waits for "go", which the test
    # writes after a deploy has run to its end beside it.
    wait = ("i=0; while [ ! -e {data}/{other} ] && [ $i -lt 480 ]; do sleep 0.5; i=$((i+1)); done; "
            "[ -e {data}/{other} ] && echo \"$DYNO saw {other}\"")
    first = background_playbook(
        "shop.yml", "--tags", "run",
        procfile_command="touch {data}/one-here; ".format(data=DATA) + wait.format(data=DATA, other="two-here")
        + "; i=0; while [ ! -e {data}/go ] && [ $i -lt 480 ]; do sleep 0.5; i=$((i+1)); done; "
        "[ -e {data}/go ] && echo went".format(data=DATA))
    try:
        rc, second = run(procfile_command="touch {data}/two-here; ".format(data=DATA)
                         + wait.format(data=DATA, other="one-here"))
        assert "saw one-here" in second
        # A deploy is not blocked by the run still going (it takes no lock).
        assert len(one_offs(host)) == 1
        rc, deployed = playbook("shop.yml", shop_worker_count=3)
        assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in recap(deployed).values())
        assert len(one_offs(host)) == 1
    finally:
        host.run("touch %s/go", DATA)
        out, _err = first.communicate(timeout=300)
    assert first.returncode == 0, out[-3000:]
    assert "saw two-here" in out and "went" in out
    dynos = [re.search(r"(run\.\d+) saw", text).group(1) for text in (out, second)]
    assert dynos[0] != dynos[1]


def test_check_mode_runs_nothing(host):
    host.run("rm -f %s/checked", DATA)
    rc, out = run("--check", procfile_command="touch %s/checked" % DATA)
    assert "was not run" in out
    assert not host.file("%s/checked" % DATA).exists


def test_without_a_command_nothing_runs_and_the_error_says_what_to_set(host):
    rc, out = run(check=False)
    assert rc != 0 and "--tags run needs procfile_command" in out


def test_procfile_run_on_the_host_with_a_terminal(host):
    command = host.file("/usr/local/sbin/procfile-run")
    assert command.user == "root" and command.mode == 0o700
    config = host.file("/etc/procfile-systemd/shop/run.json")
    assert config.user == "root" and config.mode == 0o600 and SECRET not in config.content_string
    # script(1) gives procfile-run a terminal, as an ssh session would.
    out = host.run("script -qec \"procfile-run shop 'tty; exit 4'\" /dev/null < /dev/null")
    assert out.rc == 4, out.stdout + out.stderr
    assert "/dev/pts/" in out.stdout
    out = host.run("procfile-run shop printf '%s' '$DYNO'")
    assert out.rc == 0 and re.fullmatch(r"run\.\d+", out.stdout), out.stdout
    out = host.run("procfile-run nope true")
    assert out.rc == 125 and "app nope is not deployed on this host" in out.stderr
