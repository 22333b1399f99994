"""Who holds a lock, seen from the controller: this run, a dead run, another controller."""

import os
import socket
import subprocess
import sys
import time

from ansible_collections.procfile.systemd.plugins.plugin_utils.controller import (
    current_run,
    lock_is_stale,
    main_process,
    process_start,
)


# A run's process tree as Ansible makes it: ansible-playbook (here a python started by the
# test, whose PID the test knows) and tasks in its forks, and in forks of those. Each
# prints what it takes for the run, and its own PID.
TREE = """
import os, sys
from ansible_collections.procfile.systemd.plugins.plugin_utils.controller import current_run

def report():
    run = current_run()
    print(os.getpid(), run["pid"], run["pid_start"], flush=True)

report()
for _generation in range(2):
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        sys.exit(0)
    report()
"""


def test_the_run_is_the_oldest_ancestor_with_the_same_command_line():
    res = subprocess.run([sys.executable, "-c", TREE], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    reports = [line.split() for line in res.stdout.splitlines()]
    assert len(reports) == 3, res.stdout + res.stderr
    # The first line is the started process itself, then its fork and the fork's fork.
    subprocess_pid = int(reports[0][0])
    assert len({int(own) for own, _run, _start in reports}) == 3
    for _own, main, start in reports:
        assert int(main) == subprocess_pid
        assert start == reports[0][2]


def test_a_process_started_by_another_program_is_its_own_run():
    # Its parent (pytest) has another command line, so the climb stops at once.
    child = subprocess.run([sys.executable, "-c", TREE.replace("range(2)", "range(0)")],
                           capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    own, main, _start = child.stdout.split()
    assert own == main


def test_process_start_is_the_start_time_since_boot_in_clock_ticks():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with open("/proc/uptime") as handle:
            now = float(handle.read().split()[0]) * os.sysconf("SC_CLK_TCK")
        # Started after this test process and before now: an ordering, not a duration
        # (the +1: /proc/uptime is rounded to a hundredth of a second, about one tick).
        assert int(process_start(os.getpid())) <= int(process_start(child.pid)) <= now + 1
        assert int(process_start(child.pid)) > 0
    finally:
        child.kill()
        child.wait()
    assert process_start(child.pid) is None


def test_current_run_names_this_process_tree():
    run = current_run()
    assert run["controller"] == socket.gethostname()
    assert run["pid"] == main_process()
    assert run["token"].endswith(":%d:%s" % (run["pid"], run["pid_start"]))


def test_a_fork_reports_its_parent_as_the_run():
    """Ansible runs tasks in forks of ansible-playbook: they must name the same run."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, current_run()["token"].encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 200).decode() == current_run()["token"]


def test_the_live_run_is_not_stale():
    assert not lock_is_stale(dict(current_run(), acquired_at=0), 1)


def test_a_run_that_exited_is_stale_at_once():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    holder = dict(current_run(), pid=child.pid, pid_start=process_start(child.pid),
                  acquired_at=time.time())
    assert not lock_is_stale(holder, 3600)
    child.kill()
    child.wait()
    assert lock_is_stale(holder, 3600)


def test_a_reused_pid_is_not_the_same_run():
    holder = dict(current_run(), pid_start="1", acquired_at=time.time())
    assert lock_is_stale(holder, 3600)


def test_another_controller_expires_only_after_the_timeout():
    holder = {"token": "other:x:1:1", "controller": "elsewhere", "boot_id": "x", "pid": 1,
              "pid_start": "1", "acquired_at": time.time() - 100}
    assert not lock_is_stale(holder, 3600)
    assert lock_is_stale(holder, 60)


def test_no_holder_or_unreadable_is_not_stale():
    assert not lock_is_stale(None, 1)
    assert not lock_is_stale({"token": "unreadable"}, 0)
