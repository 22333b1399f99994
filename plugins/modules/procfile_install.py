#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_install
short_description: Install an app's account, directories, environment file and units in one call per host
version_added: "0.1.0"
description:
  - Under the app's lock (O(lock_owner)), checks unit names and ports against the host's
    other apps and O(after), then creates the app's account (O(account)) and directories
    (O(root_dirs), O(writable_dirs)), writes O(env_content) to O(env_file) and every unit
    of O(files), and removes O(absent).
  - Every changed unit is checked with C(systemd-analyze verify) before the first write
    (any complaint fails, with nothing changed); files are replaced atomically;
    C(daemon-reload) follows a unit change.
  - Returns which types to restart (RV(restart_types)) and the release fingerprint
    (RV(fingerprint)); M(procfile.systemd.procfile_instances) then starts, stops and
    restarts the instances.
  - The first of the M(procfile.systemd.procfile) role's calls in a deploy; it renders
    no unit files itself (see the C(procfile.systemd.unit_files) lookup).
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  files:
    description:
      - The unit files, each C(path), C(content) and C(type) (the process type it runs, or
        null), installed root-owned with mode 0644.
    type: list
    elements: dict
    default: []
  extra_files:
    description:
      - Other root-owned files, each C(path), C(content) and C(mode) (an octal string,
        C("0600")), written with the units but not verified as units, not part of the
        release fingerprint and restarting nothing. The role installs the host command
        C(procfile-run) and the app's C(run.json) (how one-off commands run) this way.
    type: list
    elements: dict
    default: []
  absent:
    description: Unit files to remove (the release unit when the Procfile has no release).
    type: list
    elements: path
    default: []
  env_file:
    description: The app's EnvironmentFile.
    type: path
  env_content:
    description:
      - The content of O(env_file) (root-owned, mode 0600). Never logged or returned; its
        diff shows variable names only.
    type: str
  account:
    description:
      - C(user), C(group), C(create) and C(home); with C(create), a missing group and user
        are created as system accounts (no login shell), never root.
    type: dict
  home_record:
    description:
      - A root-only file where the home that this call creates for the account it creates is
        recorded (M(procfile.systemd.procfile_remove) deletes that home and no other).
    type: path
  root_dirs:
    description: Directories created root-owned with mode 0700.
    type: list
    elements: path
    default: []
  writable_dirs:
    description: Directories created owned by the app's user and group, mode 0750.
    type: list
    elements: path
    default: []
  root:
    description: The app's directory; the home of a created user when O(account) has no C(home).
    type: path
  revision:
    description: The app's revision, part of RV(fingerprint).
    type: str
    default: ""
  code_file:
    description:
      - The app's code stamp, written with O(revision) when it differs from the one
        recorded, or when O(code_changed); every running instance started before the
        stamp's last change restarts when M(procfile.systemd.procfile_instances) applies.
    type: path
  code_changed:
    description: The app's code changed in this run (for example a copy of it did), whatever O(revision) says.
    type: bool
    default: false
  versions_file:
    description:
      - The app's version history (root-only), read by M(procfile.systemd.procfile_status)
        to tell which version each instance was started with. When RV(version) is not the
        last one recorded, a line C(<unix time> <version>) is appended (the last 20 are
        kept). It is not part of RV(fingerprint) and restarts nothing.
      - Without it, no history is kept.
    type: path
  upstreams:
    description:
      - Per process type, a front proxy's list of its live instances (see
        M(procfile.systemd.procfile_instances)). Checked here only, before the first write
        - a file whose directory someone other than root could change is refused.
    type: dict
    default: {}
  after:
    description:
      - Units the app's processes are ordered after and want (C(procfile_after)), each
        looked up on the host; one that does not exist is a warning, or a failure with
        O(after_strict).
    type: list
    elements: str
    default: []
  after_strict:
    description: Fail, instead of warning, when a unit in O(after) does not exist.
    type: bool
    default: false
  shells:
    description:
      - "The shells the units run commands with, as C({variable: path}), the variable being
        the setting that chose it (for the message). A path that is not an executable file
        on the host fails the run before anything is written."
    type: dict
    default: {}
  fingerprint_file:
    description:
      - Where the fingerprint of the last successful release is kept, compared with the new
        one (RV(release_due)).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes
  - procfile.systemd.app
  - procfile.systemd.app.units
  - procfile.systemd.app.plan
  - procfile.systemd.lock
  - procfile.systemd.lock.dir
attributes:
  diff_mode:
    details:
      - Shows every unit file that changes, the unit files removed and the environment
        file's variable names.
"""

EXAMPLES = r"""
# The procfile.systemd.procfile role calls it through procfile.systemd.procfile_deploy,
# with the units rendered on the controller.
- name: Install the app's account, directories, environment and units
  procfile.systemd.procfile_install:
    app: shop
    types: [web, worker]
    counts: {web: 2, worker: 3}
    files: "{{ query('procfile.systemd.unit_files', app='shop', processes=processes) }}"
    env_file: /etc/procfile-systemd/shop/environment
    env_content: "{{ lookup('ansible.builtin.template', 'environment.j2') }}"
    account: {user: shop, group: shop, create: true, home: /var/lib/shop}
    root: /srv/shop
    root_dirs: [/etc/procfile-systemd, /etc/procfile-systemd/shop]
    fingerprint_file: /var/lib/procfile-systemd/shop/released
    versions_file: /var/lib/procfile-systemd/shop/versions
    lock_owner: "{{ lookup('procfile.systemd.controller_run') }}"
    # A gone run's lock is taken over, a live run's fails the task naming it.
    lock_timeout: 3600
  register: __procfile_install
"""

RETURN = r"""
acquired:
  description: With O(lock_owner), whether this run holds the app's lock.
  returned: always
  type: bool
holder:
  description: The run that holds the app's lock, when it is not this one.
  returned: when another run holds the lock
  type: dict
path:
  description: The lock file, when another run holds it.
  returned: when RV(acquired) is false
  type: str
holder_description:
  description: Who holds the lock, in words (controller, user, C(ansible-playbook) PID).
  returned: when RV(acquired) is false
  type: str
lock:
  description: The lock this run holds (its C(nonce) identifies this acquisition).
  returned: success
  type: dict
restart_types:
  description: The types whose instances must restart (unit, environment or code changed).
  returned: success
  type: list
  elements: str
restart_reasons:
  description: Per type of RV(restart_types), why its instances restart (for example C(new revision b2, was a1)).
  returned: success
  type: dict
code_changed:
  description: Whether the app's code stamp (O(code_file)) changes.
  returned: success
  type: bool
version:
  description:
    - The app's version after this run - O(revision) (as the code stamp records it) when
      there is one, else the first 12 hex digits of RV(fingerprint).
  returned: success
  type: str
  sample: 3f2a9c1
fingerprint:
  description: What this deploy releases (units, environment, revision).
  returned: success
  type: str
release_due:
  description: Whether RV(fingerprint) differs from the last successful release.
  returned: success
  type: bool
released_fingerprint:
  description: The content of O(fingerprint_file), or an empty string.
  returned: success
  type: str
files_changed:
  description: The unit files that were (or would be) written.
  returned: success
  type: list
  elements: str
env_changed:
  description: Whether O(env_file) was (or would be) rewritten.
  returned: success
  type: bool
removed:
  description: The unit files of O(absent) that were (or would be) removed.
  returned: success
  type: list
  elements: str
created_user:
  description: The user created (or to be), else null.
  returned: success
  type: str
created_group:
  description: The group created (or to be), else null.
  returned: success
  type: str
problems:
  description: Per unit file, what C(systemd-analyze verify) said about it; or the upstream files refused.
  returned: when a rendered unit does not verify, or an upstream file is refused
  type: raw
conflict:
  description: The unit file whose name another app (RV(owner), null for a hand-written file) has.
  returned: when a unit name clashes
  type: str
owner:
  description: The app that owns RV(conflict), or null.
  returned: when a unit name clashes
  type: str
ports:
  description: The PORTs another app (RV(other_app)) already uses.
  returned: when ports clash
  type: list
  elements: int
other_app:
  description: The app whose ports clash.
  returned: when ports clash
  type: str
missing_units:
  description: Units of O(after) that the host does not have.
  returned: when O(after_strict) fails
  type: list
  elements: str
missing_shells:
  description: "The shells of O(shells) that the host does not have, as C({variable: path})."
  returned: when a shell is missing
  type: dict
  sample: {"procfile_shell": "/bin/zsh"}
msg:
  description: What happened, in a sentence.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import (
    LOCK,
    PLAN,
    argument_spec,
    checked_app,
    on_host,
)
from ansible_collections.procfile.systemd.plugins.module_utils.app_states import install_app
from ansible_collections.procfile.systemd.plugins.module_utils.lock import take as take_lock


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(
            PLAN, LOCK,
            files=dict(type="list", elements="dict", default=[]),
            extra_files=dict(type="list", elements="dict", default=[]),
            absent=dict(type="list", elements="path", default=[]),
            env_file=dict(type="path"),
            env_content=dict(type="str", no_log=True),
            account=dict(type="dict"),
            root_dirs=dict(type="list", elements="path", default=[]),
            home_record=dict(type="path"),
            writable_dirs=dict(type="list", elements="path", default=[]),
            root=dict(type="path"),
            revision=dict(type="str", default=""),
            code_file=dict(type="path"),
            code_changed=dict(type="bool", default=False),
            versions_file=dict(type="path"),
            upstreams=dict(type="dict", default={}),
            after=dict(type="list", elements="str", default=[]),
            after_strict=dict(type="bool", default=False),
            shells=dict(type="dict", default={}),
            fingerprint_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    app = checked_app(module)
    lock = None
    if p["lock_owner"]:
        # The lock is taken here, not by a procfile_lock call before: one call fewer per deploy.
        lock, refusal = take_lock(module, app, p)
        if refusal:
            module.exit_json(**refusal)
    host, owned = on_host(module, app)
    # The same planning of instances as procfile_instances' apply (refusals of unit names,
    # ports and upstream files), stopping before any instance changes.
    result = install_app(module, host, app, p["types"], p, owned, lock)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
