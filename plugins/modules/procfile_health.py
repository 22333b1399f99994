#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_health
short_description: Wait until an app's instances answer HTTP on their PORT
version_added: "0.1.0"
description:
  - Probes C(http://127.0.0.1:PORT/path) of every instance of the process types that have
    a health check, in one call per host whatever the number of instances, until each
    answers or the type's timeout passes.
  - Healthy means the HTTP status is the check's C(status), or any 2xx or 3xx when it
    is not given. A connection refused, a timeout or another status is retried every half
    second. Each probe has two seconds in all (or what is left of the type's timeout, if
    less), so that an endpoint that answers slowly, a byte at a time, cannot hold the
    check.
  - An answer counts only from the instance itself, so a process of the instance's unit
    (in its cgroup) must hold the socket that listens on the port (on the IPv4 or IPv6
    loopback or wildcard address). A port another process listens on (one that took it
    before the instance, which then cannot bind) fails the check, whatever it answers,
    naming the instance, the port and that process's PID, command and unit.
  - The M(procfile.systemd.procfile) role does the same check inside its last module
    call of a deploy (for the types with a C(health_check) setting), so that with
    C(serial) a failure stops the roll-out before the next hosts. This module is for
    gates of your own, e.g. after C(--tags restart) or before a load balancer change.
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  app:
    description: The app's name (for unit names in messages).
    type: str
    required: true
  base_port:
    description: An instance's C(PORT) is O(base_port) plus its number.
    type: int
    required: true
  instances:
    description: "The instance numbers per process type, e.g. C({web: [1, 2]})."
    type: dict
    required: true
  checks:
    description:
      - Per process type, its check; C(*) is the check of the types not named; types
        without one (or named with null) are not probed.
      - C(path) (default C(/)), C(timeout) in seconds (default 60), C(status) (an exact
        HTTP status; default any 2xx or 3xx).
    type: dict
    required: true
  host:
    description: The address the instances listen on, seen from the host itself.
    type: str
    default: 127.0.0.1
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes.read_only
attributes:
  check_mode:
    details: It only reads (sends GET requests).
"""

EXAMPLES = r"""
- name: Wait for the web instances
  procfile.systemd.procfile_health:
    app: shop
    base_port: 5000
    instances: {web: [1, 2], worker: [3]}
    checks: {web: {path: /health, timeout: 30}}
"""

RETURN = r"""
healthy:
  description: The instances that answered, with their port and status.
  returned: always
  type: list
  elements: dict
  sample: [{unit: shop-web@1.service, port: 5001, status: 200, seconds: 0.4}]
unhealthy:
  description:
    - The instances that did not answer in time, or whose port another process holds,
      with their last error and unit state.
  returned: on failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import checked_app
from ansible_collections.procfile.systemd.plugins.module_utils.health import wait_healthy


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            base_port=dict(type="int", required=True),
            instances=dict(type="dict", required=True),
            checks=dict(type="dict", required=True),
            host=dict(type="str", default="127.0.0.1"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    checked_app(module)
    healthy, unhealthy, message = wait_healthy(module, p["app"], p["base_port"], p["instances"],
                                               p["checks"], p["host"])
    if message:
        module.fail_json(msg=message, healthy=healthy, unhealthy=unhealthy)
    module.exit_json(changed=False, healthy=healthy)


def main():
    run_module()


if __name__ == "__main__":
    main()
