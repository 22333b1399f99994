#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_remove
short_description: Take an app off a host - its instances, units, environment file and state
version_added: "0.1.0"
description:
  - Stops every instance of the app gracefully (a plain C(systemctl stop), so each type's
    C(KillSignal) and C(TimeoutStopSec) apply), disables them and the app's target, and
    removes every unit file the app owns, its environment file (its secrets), its state
    (release fingerprint, code stamp, version history, pause record) and its lock.
  - A unit file is the app's only when it carries C(X-ProcfileApp=<app>); unit names are
    never matched by pattern, so app C(shop) never touches app C(shop-admin)'s units or a
    hand-written C(shop-foo@.service).
  - A type with an upstream (C(X-ProcfileUpstream) in its unit file) first leaves the
    proxy (its list emptied, the proxy reloaded), then the file is removed, unless the
    proxy's configuration still refers to it (C(nginx -t) fails without it); then it
    stays, listing no instance, with a warning.
  - Refuses, before any change, unless O(confirm) is the app's name.
  - The steps run in an order where every prefix is a state the next run completes; a
    removal that was interrupted is finished by running it again.
  - The app's code (C(procfile_root)) and its writable directories are never touched.
  - Part of the M(procfile.systemd.procfile) role (C(--tags remove)).
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  confirm:
    description: Must be the app's name, or the module refuses and changes nothing.
    type: str
    default: ""
  unit_dir:
    description: Where the app's unit files are.
    type: path
    default: /etc/systemd/system
  config_dir:
    description: Where the apps' environment files are (C(<config_dir>/<app>/environment)).
    type: path
    default: /etc/procfile-systemd
  state_dir:
    description: Where the apps' state is (C(<state_dir>/<app>/), removed whole).
    type: path
    default: /var/lib/procfile-systemd
  remove_user:
    description:
      - Also remove the app's account O(user), and its home when that is O(home) and a deploy
        created it (recorded in the app's state), but only
        when this collection created it for this app (its comment, written by C(useradd)
        when the collection created it, is C(procfile.systemd app <app>)), and no other
        app's units run as it. Otherwise it stays, with a warning.
      - C(userdel) also removes the account's group when it has the user's name and no
        other member (C(USERGROUPS_ENAB), the default on Debian).
    type: bool
    default: false
  user:
    description: The app's account (with O(remove_user)).
    type: str
    default: ""
  writable_dirs:
    description:
      - The app's writable directories (C(procfile_writable_dirs)). Never removed; when
        O(remove_user) removes the account, whatever in them is the account's is given to
        root first (and the same for a home that stays), so that no file belongs to a
        deleted account's number, which the next account created would get.
    type: list
    elements: path
    default: []
  home:
    description: The home the collection gave the account (C(procfile_home)); removed with it.
    type: path
  root:
    description: The app's code (C(procfile_root)); never removed, nor a home in or above it.
    type: path
  run_command:
    description:
      - The host command C(procfile-run) the role installs for every app; removed with the
        last app of O(config_dir) (no other C(<config_dir>/<app>/run.json) left).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes
  - procfile.systemd.app
  - procfile.systemd.lock
  - procfile.systemd.lock.dir
attributes:
  check_mode:
    details: Reports what would be removed; changes nothing.
  diff_mode:
    details: Before is the list of the app's units, links, files and running units; after is empty.
notes:
  - With O(lock_owner), the module takes the app's lock for its whole run, as every module
    that changes an app does (O(lock_wait), O(lock_steal); its action plugin takes over a
    dead run's lock and refuses beside a live one), and removes the lock as its last
    step. A removal that fails gives the lock back.
"""

EXAMPLES = r"""
- name: Remove app shop from the host
  procfile.systemd.procfile_remove:
    app: shop
    confirm: "{{ procfile_remove_confirm }}"
    lock_owner: "{{ lookup('procfile.systemd.controller_run') }}"

- name: Remove it with the account the collection created for it
  procfile.systemd.procfile_remove:
    app: shop
    confirm: shop
    remove_user: true
    user: shop
    home: /var/lib/shop
    root: /srv/shop
"""

RETURN = r"""
msg:
  description: What was removed (or would be), or that nothing of the app is on the host.
  returned: always
  type: str
  sample: "removed app shop from this host: 6 running unit(s) stopped, 5 unit file(s), the environment file, the state"
removed:
  description: Everything of the app that was removed (or would be), one line each.
  returned: always
  type: list
  elements: str
  sample: ["running shop-web@1.service", "unit /etc/systemd/system/shop-web@.service"]
stopped:
  description: The units stopped (instances, and the target or release unit when active).
  returned: always
  type: list
  elements: str
unit_files:
  description: The app's unit files removed.
  returned: always
  type: list
  elements: str
upstream_files:
  description: The upstream files removed.
  returned: always
  type: list
  elements: str
kept_upstream_files:
  description: Upstream files kept, listing no instance, because the proxy still needs them.
  returned: always
  type: list
  elements: str
given_to_root:
  description: The directories kept (writable directories, a home not made by a deploy) whose account's files were given to root.
  returned: when O(remove_user) removed the account
  type: list
  elements: str
account_removed:
  description: The account removed (O(remove_user)), or null.
  returned: always
  type: str
unlocked:
  description: Whether the lock of O(lock_owner) was removed.
  returned: always
  type: bool
acquired:
  description:
    - With O(lock_owner), whether this run took the app's lock (in check mode, whether it
      could); false when another run holds it, and nothing was done.
  returned: always
  type: bool
holder:
  description: The run that holds the app's lock when it is not this one (RV(acquired) false), else null.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import APP, LOCK, LOCK_DIR, argument_spec
from ansible_collections.procfile.systemd.plugins.module_utils.app_remove import remove
from ansible_collections.procfile.systemd.plugins.module_utils.lock import lock_path, release
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(
            APP, LOCK, LOCK_DIR,
            confirm=dict(type="str", default="", no_log=False),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            config_dir=dict(type="path", default="/etc/procfile-systemd"),
            state_dir=dict(type="path", default="/var/lib/procfile-systemd"),
            remove_user=dict(type="bool", default=False),
            user=dict(type="str", default=""),
            home=dict(type="path"),
            writable_dirs=dict(type="list", elements="path", default=[]),
            root=dict(type="path"),
            run_command=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = {}
    try:
        result = remove(module, Systemctl(module), p["app"], p)
    finally:
        # A removal that failed half way gives the lock back (a completed one removed it).
        # This process holds the lock's guard by then (remove() took it after the lease).
        if p["lock_owner"] and not module.check_mode and not result:
            release(lock_path(p["lock_dir"], p["app"]), p["lock_owner"].get("token"), guard_held=True)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
