# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that name an app's units on a host, shared by the modules that act on them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods
    """extends_documentation_fragment: procfile.systemd.app and procfile.systemd.app.port"""

    DOCUMENTATION = r"""
options:
  app:
    description: The app's name, the prefix of its units.
    type: str
    required: true
  state_file:
    description: The pause record (JSON, root-only).
    type: path
  unit_dir:
    description: Where the unit files are.
    type: path
    default: /etc/systemd/system
"""

    # procfile.systemd.app.port: for the modules that number ports (not procfile_status).
    PORT = r"""
options:
  base_port:
    description: An instance's C(PORT) is O(base_port) plus its number.
    type: int
    default: 5000
"""
