# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that name an app and its units on a host, shared by the modules that act on
them (their specs: module_utils/app_module.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods
    """extends_documentation_fragment: procfile.systemd.app, procfile.systemd.app.units
    and procfile.systemd.app.plan"""

    DOCUMENTATION = r"""
options:
  app:
    description: The app's name, the prefix of its units.
    type: str
    required: true
"""

    # procfile.systemd.app.units: for the modules that read the app's units and pause record.
    UNITS = r"""
options:
  state_file:
    description: The pause record (JSON, root-only).
    type: path
  unit_dir:
    description: Where the unit files are.
    type: path
    default: /etc/systemd/system
"""

    # procfile.systemd.app.plan: for the modules that plan the app's instances and number
    # their ports (procfile_install, procfile_instances).
    PLAN = r"""
options:
  base_port:
    description: An instance's C(PORT) is O(base_port) plus its number.
    type: int
    default: 5000
  types:
    description:
      - The process types the app has now, in Procfile order (the release type excluded).
    type: list
    elements: str
    default: []
  counts:
    description:
      - Wanted instance count per type; a type not named here runs none.
    type: dict
    default: {}
  schedules:
    description:
      - The app's scheduled process types (not in O(types)), each mapped to whether its
        timer and service are on this host. V(true), they are (installed by
        M(procfile.systemd.procfile_install), enabled and started by the apply); V(false),
        they are not (a timer the host has is stopped, its running job stopped, and
        removed by the apply); null, the host keeps what it has (a run limited with
        C(--limit) whose first host need not be the fleet's).
      - A scheduled type the host has units of that is not named here is removed by the apply.
    type: dict
    default: {}
"""
