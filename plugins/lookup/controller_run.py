# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: controller_run
version_added: "0.1.0"
short_description: Who this ansible-playbook run is, as the owner of an app's lock
description:
  - Returns one dict naming the running C(ansible-playbook) process on the controller,
    with the controller's host name and boot ID, the user, the process's PID and start
    time, and a C(token) made of them that differs between two runs at the same time.
  - The M(procfile.systemd.procfile_lock) module records it on the host;
    the C(procfile.systemd.lock_is_stale) filter uses it to tell whether a lock's holder
    on this same controller is still running.
author: procfile.systemd contributors (@procfile-systemd)
options: {}
"""

EXAMPLES = r"""
- name: Take the app's lock
  procfile.systemd.procfile_lock:
    app: shop
    lock_owner: "{{ lookup('procfile.systemd.controller_run') }}"
"""

RETURN = r"""
_raw:
  description: One dict with C(token), C(controller), C(boot_id), C(user), C(pid), C(pid_start).
  type: list
  elements: dict
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.procfile.systemd.plugins.plugin_utils.controller import current_run


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [current_run()]
