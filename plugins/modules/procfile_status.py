#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_status
short_description: Read an app's instances on a host, as data
version_added: "0.1.0"
description:
  - Reports every instance of the app's process types on the host (those enabled, running,
    or recorded by a pause) with its state, PID, restarts, start time, memory, the version
    it was started with (whether it is older than the host's current units) and, for a
    type with a health check, whether the check passes now; per type the wanted and
    running counts, whether the app is paused, and what each front proxy's upstream list
    holds; and each scheduled type whose timer is on the host, with its last run and next
    run (RV(status.scheduled)), read with one more C(systemctl show).
  - As data (RV(status)) only. The M(procfile.systemd.procfile) role's C(--tags status)
    prints the data of every host of the play as one table with the
    P(procfile.systemd.status_table#filter) filter.
  - Never changes anything, and takes no lock. Each health check is one GET per
    instance, all at once, that must answer within two seconds (or the check's
    C(timeout), if shorter); nothing is retried. An answer counts only from the
    instance itself, so a port on which another process listens (one that took it
    first) fails the check, naming that process, whatever it answers.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  counts:
    description: Wanted instance count per type, shown as the wanted column (C(-) for a type not named).
    type: dict
    default: {}
  upstreams:
    description:
      - Per process type, its front proxy's upstream file (C(path), C(format), C(name)), whose
        instances are shown; see M(procfile.systemd.procfile_instances).
    type: dict
    default: {}
  versions_file:
    description:
      - The app's version history, as M(procfile.systemd.procfile_install) keeps it; an
        instance's C(version) is the entry in force when its main process started.
      - Without it, every C(version) is null.
    type: path
  code_file:
    description:
      - The app's code stamp (see M(procfile.systemd.procfile_install)); an instance that
        started before it last changed is C(old).
    type: path
  env_file:
    description: The app's EnvironmentFile; an instance that started before it last changed is C(old).
    type: path
  health_checks:
    description:
      - Per process type, its check (C(path), C(timeout), C(status)); C(*) for the types
        not named, null for none - what M(procfile.systemd.procfile_instances) takes.
      - Every active instance of a checked type is probed once, on C(127.0.0.1:PORT).
    type: dict
    default: {}
  base_port:
    description:
      - An instance's C(PORT) is the base plus its number. The base the installed units
        record is used; this one only for units that record none.
    type: int
    default: 5000
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes.read_only
  - procfile.systemd.app
  - procfile.systemd.app.units
"""

EXAMPLES = r"""
# As the procfile.systemd.procfile role calls it (roles/procfile/tasks/status.yml).
- name: Read the instances' state from systemd
  procfile.systemd.procfile_status:
    app: shop
    counts: {web: 2, worker: 3}
    state_file: /var/lib/procfile-systemd/shop/paused.json
    upstreams: {web: {path: /etc/nginx/conf.d/shop-web.conf, format: nginx}}
    versions_file: /var/lib/procfile-systemd/shop/versions
    code_file: /var/lib/procfile-systemd/shop/code
    env_file: /etc/procfile-systemd/shop/environment
    health_checks: {web: {path: /health, timeout: 60}}
  register: __procfile_status

# One table for every host of the play, printed once.
- name: Show the status
  ansible.builtin.debug:
    msg: >-
      {{ dict(ansible_play_batch | zip(ansible_play_batch | map('extract', hostvars)
              | map(attribute='__procfile_status.status')))
         | procfile.systemd.status_table }}
  run_once: true
"""

RETURN = r"""
status:
  description: The app on this host.
  returned: success
  type: dict
  contains:
    app:
      description: The app.
      type: str
    deployed:
      description: Whether any instance template or scheduled type of the app is installed on the host.
      type: bool
    paused:
      description: Whether a pause record exists.
      type: bool
    paused_record:
      description: "The pause record, C({type: [instance numbers]}), or null."
      type: dict
    version:
      description: The app's current version on the host (the last in O(versions_file)), or null.
      type: str
    types:
      description: Per type, C(type), C(wanted) (null when unknown) and C(running) counts.
      type: list
      elements: dict
    instances:
      description:
        - Per instance, C(unit), C(type), C(unique_int), C(state), C(sub_state), C(enabled),
          C(main_pid), C(restarts), C(since), C(memory) (C(-) where systemd does not
          account it) and C(in_upstream) (null for a type without an upstream list).
        - C(version), the app's version in force when its main process started (the
          revision, else the deploy's fingerprint's first 12 hex digits; null when not
          running, or started before the history's first entry or without O(versions_file)).
        - C(old), true when it started before its template unit, O(env_file) or O(code_file)
          last changed - it runs older units, environment or code than the host has, and
          the next deploy restarts it.
        - C(health), C(passing) or C(failing) for an active instance of a type with a health
          check (null otherwise), and C(health_error), why it fails (null otherwise), such
          as the HTTP status, the connection error, or the process (PID, command and unit)
          that listens on its port instead of it.
      type: list
      elements: dict
      sample:
        - unit: shop-web@1.service
          type: web
          unique_int: 1
          state: active
          sub_state: running
          enabled: enabled
          main_pid: 4242
          restarts: 0
          since: Mon 2026-11-23 11:47:11 UTC
          memory: 41.2M
          in_upstream: true
          version: 4f2a9c1
          old: false
          health: failing
          health_error: HTTP status 500
    upstreams:
      description: Per type with an upstream list, its C(path), C(name) and the C(instances) it lists.
      type: dict
    scheduled:
      description:
        - Per scheduled type whose timer is on the host (by type), C(type), C(timer) and
          C(service) (its unit names), C(schedule) (as written in its settings, from the
          timer's C(X-ProcfileSchedule)), C(state) (C(waiting) for the next run, C(running)
          while a run goes, C(inactive) when the timer is stopped, as when the app is paused),
          C(timer_state) (the timer's C(ActiveState/SubState)) and C(enabled) (the timer's
          C(UnitFileState)).
        - The last run (while a run goes, that run) - C(last_start) and C(last_end) in seconds
          since the epoch, C(duration) in seconds (to the millisecond), C(result) (systemd's,
          C(success), C(exit-code), C(signal), C(timeout), ...), C(exit_code) (when the
          command exited) or C(signal) (its name, when a signal ended it) and
          C(invocation_id) (the run's journal entries are C(_SYSTEMD_INVOCATION_ID=<id>));
          null where unknown. After a reboot the service knows no run until its next one, so
          C(last_start) is then the timer's last trigger, and the result is null.
        - C(next_run), in seconds since the epoch; null while a run goes or the timer is stopped.
        - C(health), C(failing) when the last run did not succeed, C(running) while one goes,
          C(passing) otherwise; null when no run is known.
      type: list
      elements: dict
      sample:
        - type: report
          timer: shop-report.timer
          service: shop-report.service
          schedule: 0 3 * * 1-5
          state: waiting
          timer_state: active/waiting
          enabled: enabled
          last_start: 1796690005
          last_end: 1796690006
          duration: 1.012
          result: exit-code
          exit_code: 3
          signal: null
          next_run: 1796690010
          health: failing
          invocation_id: 232fd242ed514cfa9fd14cbef667d761
types:
  description: The app's process types installed on the host.
  returned: success
  type: list
  elements: str
paused:
  description: Whether the app is paused on the host.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import APP, UNITS, argument_spec, checked_app
from ansible_collections.procfile.systemd.plugins.module_utils.app_status import status
from ansible_collections.procfile.systemd.plugins.module_utils.instances import scan_owned_units
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(
            APP, UNITS,
            counts=dict(type="dict", default={}),
            upstreams=dict(type="dict", default={}),
            versions_file=dict(type="path"),
            code_file=dict(type="path"),
            env_file=dict(type="path"),
            health_checks=dict(type="dict", default={}),
            base_port=dict(type="int", default=5000),
        ),
        supports_check_mode=True,
    )
    p = module.params
    app, unit_dir = checked_app(module), p["unit_dir"]
    mine = scan_owned_units(unit_dir).get(app, {"templates": {}})
    module.exit_json(**status(module, Systemctl(module), app, sorted(mine["templates"]), unit_dir,
                              p["state_file"], dict((t, int(c)) for t, c in p["counts"].items()),
                              p["upstreams"], templates=mine["templates"],
                              versions_file=p["versions_file"], code_file=p["code_file"],
                              env_file=p["env_file"], checks=p["health_checks"],
                              # The port base the units were installed with (their marker).
                              base_port=mine.get("base_port") or p["base_port"],
                              scheduled=mine.get("scheduled", {})))


def main():
    run_module()


if __name__ == "__main__":
    main()
