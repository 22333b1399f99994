#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_run_scheduled
short_description: Run a scheduled process type once, now, through its own unit
version_added: "0.1.0"
description:
  - Starts the service of a scheduled process type (C(<app>-<type>.service), the one its
    timer C(<app>-<type>.timer) starts) on the host that has its timer, waits until the run
    ends and returns its result and output (its journal lines, by the run's invocation).
  - The run is one of the unit's own (C(Type=oneshot)), so it cannot overlap a scheduled
    run. Started while a scheduled run goes, it joins that run and waits for its end; it
    starts no second one.
  - On a host without the type's timer (it is scheduled on another host, or not at all)
    nothing is run and RV(ran) is false, with the scheduled types the host has in
    RV(scheduled). The M(procfile.systemd.procfile) role's C(--tags run -e
    procfile_run_type=<type>) runs it on every host of the play and fails when no host had
    the type.
  - The module fails when the run failed (its result is not C(success)), with the run's
    output and result in the failure.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  type:
    description: The scheduled process type, as in the Procfile.
    type: str
    required: true
  unit_dir:
    description: Where the unit files are.
    type: path
    default: /etc/systemd/system
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.app
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is started; RV(msg) says what would run and where.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Run the report job now, on the host whose timer runs it
  procfile.systemd.procfile_run_scheduled:
    app: shop
    type: report
  register: __procfile_scheduled_run
  failed_when: false

- name: Show its output
  ansible.builtin.debug:
    var: __procfile_scheduled_run.output
  when: __procfile_scheduled_run.ran | default(false)
"""

RETURN = r"""
ran:
  description: Whether the type's service was started on this host (false in check mode).
  returned: always
  type: bool
here:
  description: Whether the host has the type's timer (the type is scheduled here).
  returned: always
  type: bool
scheduled:
  description: The scheduled types of the app on this host.
  returned: always
  type: list
  elements: str
msg:
  description: What was run (or would be), and how it ended.
  returned: always
  type: str
  sample: "shop report (shop-report.service): failed (exit-code, exit status 3)"
service:
  description: The unit that runs the type.
  returned: when here
  type: str
  sample: shop-report.service
rc:
  description: The exit status of C(systemctl start) (0 when the run succeeded, 1 when it failed).
  returned: when ran
  type: int
run:
  description:
    - The type's status row after the run, as in RV(procfile.systemd.procfile_status#module:status.scheduled)
      (C(result), C(exit_code), C(signal), C(last_start), C(last_end), C(duration),
      C(invocation_id) and the others); C(schedule) is null here.
  returned: when ran
  type: dict
systemctl:
  description: What C(systemctl start) said when the run failed (C(Job for ... failed because ...)).
  returned: when the run failed
  type: str
output:
  description:
    - The run's output, its journal lines (C(journalctl _SYSTEMD_INVOCATION_ID=<id> -o cat)),
      stdout and stderr in the order written.
  returned: when ran
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import checked_app
from ansible_collections.procfile.systemd.plugins.module_utils.instances import scan_owned_units
from ansible_collections.procfile.systemd.plugins.module_utils.scheduled_runs import run_scheduled
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            type=dict(type="str", required=True),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
        ),
        supports_check_mode=True,
    )
    app = checked_app(module)
    scheduled = scan_owned_units(module.params["unit_dir"]).get(app, {}).get("scheduled", {})
    result, failed = run_scheduled(module, Systemctl(module), app, module.params["type"], scheduled)
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
