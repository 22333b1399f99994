"""/proc readings of a real process tree: parents and start times."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import time

from ansible_collections.procfile.systemd.plugins.module_utils.proc import (
    START_SLACK,
    parent_pid,
    start_ticks,
    start_time,
)


def test_a_child_knows_its_parent_and_when_it_started():
    before = time.time()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert parent_pid(child.pid) == os.getpid()
        ticks = start_ticks(child.pid)
        assert ticks is not None and ticks.isdigit()
        # Stable: the same process reads the same start each time.
        assert start_ticks(child.pid) == ticks
        # Around when we started it.
        # (btime, the boot time it is counted from, is in whole seconds.)
        assert before - 2 <= start_time(child.pid) <= time.time() + 2
    finally:
        child.kill()
        child.wait()
    assert start_ticks(child.pid) is None and start_time(child.pid) is None
    assert parent_pid(child.pid) == 0


def test_a_process_started_after_a_file_was_written_is_never_older_than_it(tmp_path):
    """The stale check compares a start time with a file's mtime: a process started
    after the file was written must not look older, whatever fraction of a second the
    host booted at (btime alone is whole seconds, and made such a process up to 1 s old)."""
    for attempt in range(20):
        marker = tmp_path / ("m%d" % attempt)
        marker.write_text("x")
        written = os.stat(str(marker)).st_mtime
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            while start_time(child.pid) is None:
                time.sleep(0.01)
            assert start_time(child.pid) + START_SLACK >= written, attempt
        finally:
            child.kill()
            child.wait()
