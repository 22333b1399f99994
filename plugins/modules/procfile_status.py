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
    or recorded by a pause) with its state, PID, restarts, start time and memory, per
    type the wanted and running counts, whether the app is paused, and what each front
    proxy's upstream list holds.
  - As data (RV(status)) only. The M(procfile.systemd.procfile) role's C(--tags status)
    prints the data of every host of the play as one table with the
    P(procfile.systemd.status_table#filter) filter.
  - Never changes anything, and takes no lock.
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
      description: Whether any unit of the app is installed on the host.
      type: bool
    paused:
      description: Whether a pause record exists.
      type: bool
    paused_record:
      description: "The pause record, C({type: [instance numbers]}), or null."
      type: dict
    types:
      description: Per type, C(type), C(wanted) (null when unknown) and C(running) counts.
      type: list
      elements: dict
    instances:
      description:
        - Per instance, C(unit), C(type), C(unique_int), C(state), C(sub_state), C(enabled),
          C(main_pid), C(restarts), C(since), C(memory) (C(-) where systemd does not
          account it) and C(in_upstream) (null for a type without an upstream list).
      type: list
      elements: dict
    upstreams:
      description: Per type with an upstream list, its C(path), C(name) and the C(instances) it lists.
      type: dict
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
        ),
        supports_check_mode=True,
    )
    p = module.params
    app, unit_dir = checked_app(module), p["unit_dir"]
    mine = scan_owned_units(unit_dir).get(app, {"templates": {}})
    module.exit_json(**status(module, Systemctl(module), app, sorted(mine["templates"]), unit_dir,
                              p["state_file"], dict((t, int(c)) for t, c in p["counts"].items()),
                              p["upstreams"]))


def main():
    run_module()


if __name__ == "__main__":
    main()
