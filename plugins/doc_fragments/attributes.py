# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes the collection's modules share: every one runs on POSIX hosts and in
check mode; those that change the host also show a diff, those that only read do not.

Used after ansible.builtin.action_common_attributes (which describes the attributes); a
module's own attributes add to these and win over them (its own details, say).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods
    """extends_documentation_fragment: procfile.systemd.attributes (a module that changes
    the host) and procfile.systemd.attributes.read_only"""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
"""

    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    details:
      - This module does not change anything.
  platform:
    platforms: posix
"""
