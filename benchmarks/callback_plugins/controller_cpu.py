"""Where the controller's CPU goes, task by task (benchmarks/run.py --fleet --profile).

Ansible's profile_tasks callback times tasks on the wall clock; the fleet benchmark's
question is CPU on the controller. The run is started in a cpuacct cgroup (see
benchmarks/fleet.py), so the cgroup's counter read at each task start gives the CPU of the
previous task: the linear strategy starts a task only when every host has finished the
one before, and the workers, their SSH clients and the ControlPersist masters are all in
the cgroup. The counter also runs between tasks (the strategy's own work in the main
process), which is the point: that is part of what a task costs.

Writes JSON to $PROCFILE_BENCH_TASK_CPU: [{"task": name, "action": action, "cpu": s}],
in the order the tasks started, plus one "(start-up)" entry for the CPU before the first
task (Python's start, parsing the playbook and inventory). The last task's figure runs
to the recap.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: controller_cpu
type: aggregate
short_description: controller CPU seconds per task, from the run's cpuacct cgroup
description: benchmark aid; see the module docstring.
"""


def _usage_file():
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        for line in f:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            if "cpuacct" in controllers.split(","):
                return "/sys/fs/cgroup/cpuacct%s/cpuacct.usage" % path
    raise RuntimeError("no cpuacct cgroup (cgroup v1) for this process")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "controller_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._file = _usage_file()
        self._out = os.environ.get("PROCFILE_BENCH_TASK_CPU")
        self._entries = []
        self._current = {"task": "(start-up)", "action": ""}
        self._mark = 0.0

    def _now(self):
        with open(self._file, encoding="utf-8") as f:
            return int(f.read()) / 1e9

    def _close_current(self):
        now = self._now()
        self._entries.append(dict(self._current, cpu=round(now - self._mark, 4)))
        self._mark = now

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_current()
        self._current = {"task": task.get_name(), "action": task.action}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._close_current()
        if self._out:
            with open(self._out, "w", encoding="utf-8") as f:
                json.dump(self._entries, f, indent=1)
