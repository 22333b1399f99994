"""Crashed processes come back; a stop reaches the app itself, behind a compound command."""

import pytest

from procfile_testlib import instances, props, wait_for


def test_kill_9_brings_the_instance_back_after_its_restart_delay(host):
    """systemd restarts it by itself, once, after the role's RestartSec (1 s by default).

    How soon it is back is systemd's RestartUSec, read from the unit, not a stopwatch
    here: on a loaded machine the round trips of this test alone take seconds."""
    unit = "shop-worker@%d.service" % instances(host, "shop", "worker")[0]
    before = props(host, unit, "MainPID", "NRestarts", "Restart", "RestartUSec")
    assert (before["Restart"], before["RestartUSec"]) == ("always", "1s"), before
    host.check_output("kill -9 %s", before["MainPID"])

    def back():
        p = props(host, unit, "MainPID", "NRestarts", "ActiveState", "SubState")
        return p if p["ActiveState"] == "active" and p["SubState"] == "running" \
            and p["MainPID"] not in ("0", before["MainPID"]) else None

    after = wait_for(back, timeout=60, interval=0.2)
    assert after, props(host, unit, "ActiveState", "SubState", "MainPID")
    # Restarted by systemd after the crash (not started by anything else), exactly once.
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1


def test_graceful_stop_reaches_the_app_behind_a_compound_command(host):
    n = instances(host, "shop", "worker")[-1]
    unit = "shop-worker@%d.service" % n
    marker = "/var/lib/shop-data/worker-%d.stopped" % n
    host.run("rm -f %s", marker)
    # The unit's main process is the shell running "python3 worker.py ...; true";
    # the app is its child and must get SIGTERM, not SIGKILL.
    host.check_output("systemctl stop %s", unit)
    assert host.file(marker).exists, "the app never saw the stop signal"
    assert host.file(marker).content_string.startswith("signal 15 ")
    assert props(host, unit, "ActiveState")["ActiveState"] == "inactive"
    assert host.run("pgrep -f 'worker.py --name worker-%d'" % n).rc == 1, "orphaned app"
    host.check_output("systemctl start %s", unit)
    assert props(host, unit, "ActiveState")["ActiveState"] == "active"


@pytest.mark.parametrize("process_type, shell", [("bashonly", "bash"), ("plain", "sh")])
def test_the_stop_signal_reaches_the_app_once_under_either_shell(host, process_type, shell):
    # bashonly runs `source`, [[ ]] and an array under its type's shell: /bin/bash; plain
    # runs under the app's /bin/sh. Both end in "; true", so the shell is the main
    # process and the app its child.
    [n] = instances(host, "bashy", process_type)
    unit = "bashy-%s@%d.service" % (process_type, n)
    name = "%s.%d" % (process_type, n)
    started, signals = ("/var/lib/bashy-data/%s.%s" % (name, what) for what in ("started", "signals"))
    assert wait_for(lambda: host.file(started).exists, 30), "the app never started under " + shell
    pid, parent, port = host.file(started).content_string.split()
    assert (parent, port) == (shell, str(7300 + n))
    assert props(host, unit, "MainPID")["MainPID"] != pid, "the app is not behind its shell"
    host.run("rm -f %s", signals)
    host.check_output("systemctl stop %s", unit)
    # One SIGTERM, from the stop; the app took a second to exit, in which a shell that
    # had died at once would have let systemd send it a second ("final SIGTERM").
    assert host.file(signals).content_string == "signal 15\n"
    assert props(host, unit, "ActiveState", "Result") == {"ActiveState": "inactive",
                                                          "Result": "success"}
    assert host.run("pgrep -f 'stopper.py --name %s'", name).rc == 1, "orphaned app"
    host.check_output("systemctl start %s", unit)
    assert props(host, unit, "ActiveState")["ActiveState"] == "active"
