# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of an action plugin (plugins/action/procfile_deploy.py): it runs on the
# controller and calls the modules named below on the host.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_deploy
short_description: The first task of a deploy of the procfile role, as one task per host
version_added: "0.1.0"
description:
  - Used by the role C(procfile.systemd.procfile); not meant for playbooks of their own.
  - Runs, in one task, the steps that must come before the release phase, in the order
    that keeps a refused run from changing anything on the host.
  - 1. O(checks) (the role's inputs that need no host) fail the task when not empty.
  - 2. With O(release), sends the release's archive to a host that lacks it and unpacks it
    (M(procfile.systemd.procfile_release), M(ansible.builtin.copy)).
  - 3. Reads the Procfile (M(procfile.systemd.procfile_info)) with the arguments in the role
    variable named by O(read).
  - 4. Fails with the problems in the role variable named by O(read_errors) (the
    environment, the counts and the settings against the Procfile's types).
  - 5. Takes the app's lock and installs (M(procfile.systemd.procfile_install), arguments in
    the role variable named by O(install)). A lock whose holder is gone (see
    O(lock_timeout)) is taken over in the same task; a live holder's refuses the run.
  - 6. Returns, as RV(plan), the role variable named by O(plan) templated with what the steps
    before found, so that the task that applies the counts gets what it needs derived once.
  - O(read), O(read_errors), O(install) and O(plan) name role variables instead of being
    arguments, because they depend on the results of the steps before them, which only
    exist once this task runs. They are templated with those results as
    C(__procfile_release_state) (step 2) and C(__procfile_install.info) (step 3).
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  app:
    description: The app (C(procfile_app)), named in the refusal beside another run.
    type: str
    required: true
  checks:
    description: Problems with the inputs found on the controller; the task fails with them, one per line.
    type: list
    elements: str
    default: []
  release:
    description:
      - The release to make sure of before reading the Procfile, with keys C(root),
        C(revision), C(archive) (the archive on the controller) and C(record).
    type: dict
  lock_timeout:
    description:
      - Seconds after which the lock of a run on another controller is presumed gone
        (C(procfile_lock_timeout)); one on this controller is known gone when its run exited.
    type: int
    required: true
  read:
    description: The name of the role variable holding M(procfile.systemd.procfile_info)'s arguments.
    type: str
    required: true
  read_errors:
    description: The name of the role variable holding the problems found once the Procfile is read.
    type: str
    required: true
  install:
    description: The name of the role variable holding M(procfile.systemd.procfile_install)'s arguments.
    type: str
    required: true
  plan:
    description: The name of the role variable to return as RV(plan) once the install succeeded.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - procfile.systemd.attributes
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
seealso:
  - module: procfile.systemd.procfile_install
  - module: procfile.systemd.procfile_info
  - module: procfile.systemd.procfile_release
"""

EXAMPLES = r"""
# From the role's tasks/install.yml:
- name: Check the inputs, read the Procfile, take the app's lock and install
  procfile.systemd.procfile_deploy:
    app: "{{ procfile_app }}"
    checks: "{{ _procfile_input_errors }}"
    lock_timeout: "{{ procfile_lock_timeout }}"
    read: _procfile_read_args
    read_errors: _procfile_read_errors
    install: _procfile_install_args
    plan: _procfile_apply_plan
  register: __procfile_install
"""

RETURN = r"""
info:
  description: The result of M(procfile.systemd.procfile_info) (step 3).
  returned: once the Procfile was read
  type: dict
lock_tried:
  description: Whether the install step was reached (only then can this run hold the lock).
  returned: always
  type: bool
release_state:
  description: The result of M(procfile.systemd.procfile_release) (step 2).
  returned: with O(release)
  type: dict
plan:
  description: The role variable named by O(plan), templated after the install.
  returned: with O(plan), when the install succeeded
  type: dict
acquired:
  description: Whether the lock was taken; the other keys of M(procfile.systemd.procfile_install)'s result are returned as well.
  returned: when the install step ran
  type: bool
"""
