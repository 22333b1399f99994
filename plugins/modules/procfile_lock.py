#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_lock
short_description: Take or give back an app's lock on a host, so that two runs never interleave
version_added: "0.1.0"
description:
  - A deploy, pause, resume or restart of an app is several tasks. Two
    C(ansible-playbook) runs for the same app and host at once would interleave their
    changes (the units of one, the counts of the other). This module takes a per-app
    lease on the host before the first change and gives it back at the end.
  - The lease is a root-only JSON file under O(lock_dir) (C(/run), so a reboot frees it)
    naming the run that holds it (controller, user, C(ansible-playbook) PID). Reads and
    writes of it are serialized with C(flock).
  - A lease held by another run is never taken silently. With O(lock_wait), the module waits
    up to that many seconds for it to be given back. Whether a holder is dead is decided
    on the controller (lookup C(procfile.systemd.controller_run) and filter
    C(procfile.systemd.lock_is_stale)), which then passes its token as O(lock_steal).
  - Part of the M(procfile.systemd.procfile) role.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  lock_owner:
    description:
      - The run that takes the lease, from C(lookup('procfile.systemd.controller_run')).
      - Must have a C(token); C(controller), C(boot_id), C(user) and C(pid) are recorded
        to say who holds the lease.
    type: dict
    required: true
  state:
    description: V(present) takes the lease, V(absent) gives it back (if O(lock_owner) holds it).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.app
  - procfile.systemd.lock
  - procfile.systemd.lock.dir
attributes:
  check_mode:
    support: full
    details: Reports whether the lease would be taken; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - When the lease is held by another run, the module does not fail; it returns
    RV(acquired=false) and the RV(holder), so that the role can decide (take over from a
    dead run, or fail with a message naming the holder).
"""

EXAMPLES = r"""
- name: Take the app's lock
  procfile.systemd.procfile_lock:
    app: shop
    lock_owner: "{{ lookup('procfile.systemd.controller_run') }}"
  register: lock

- name: Give it back
  procfile.systemd.procfile_lock:
    app: shop
    lock_owner: "{{ lookup('procfile.systemd.controller_run') }}"
    state: absent
"""

RETURN = r"""
acquired:
  description: Whether O(lock_owner) holds the lease now (with O(state=present)).
  returned: always
  type: bool
holder:
  description: Who holds the lease when it is not O(lock_owner); null when it is free or ours.
  returned: always
  type: dict
  sample: {token: "ctl:1a2b3c4d:4242:99881", controller: ctl, user: root, pid: 4242, acquired_at: 1795000000}
holder_description:
  description: RV(holder) in words, for messages.
  returned: when another run holds the lease
  type: str
lock:
  description: The lease this run holds now (its C(nonce) tells this acquisition from an earlier one).
  returned: when acquired
  type: dict
took_over_from:
  description: The dead holder whose lease was taken over (O(lock_steal)).
  returned: when a lease was taken over
  type: dict
path:
  description: The lease file.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import (
    APP,
    LOCK,
    LOCK_DIR,
    argument_spec,
    checked_app,
)
from ansible_collections.procfile.systemd.plugins.module_utils.lock import (
    acquire_waiting,
    describe,
    lock_path,
    release,
    takeover_warning,
)


def run_module():
    spec = argument_spec(
        APP, LOCK, LOCK_DIR,
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    # Taking or giving back the lock is all this module does: it needs its owner.
    spec["lock_owner"]["required"] = True
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    checked_app(module)
    owner = p["lock_owner"]
    if not owner.get("token"):
        module.fail_json(msg="lock_owner must have a token (use lookup('procfile.systemd.controller_run'))")
    path = lock_path(p["lock_dir"], p["app"])

    if p["state"] == "absent":
        removed = release(path, owner["token"], dry_run=module.check_mode)
        module.exit_json(changed=removed, acquired=False, holder=None, path=path)

    acquired, holder, took_over = acquire_waiting(path, owner, p["lock_steal"], p["lock_wait"],
                                                  dry_run=module.check_mode)
    if not acquired:
        module.exit_json(changed=False, acquired=False, holder=holder, path=path,
                         holder_description=describe(holder))
    result = dict(changed=False, acquired=True, holder=None, path=path, lock=holder)
    if took_over is not None:
        result["took_over_from"] = took_over
        module.warn(takeover_warning(p["app"], took_over))
    # The lease lives only for the run: taking it is not a change to report.
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
