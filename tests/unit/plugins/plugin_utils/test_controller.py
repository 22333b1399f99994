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
