# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""procfile_install on the host; on the controller, the app's lock taken over from a gone run or the
run refused beside a live one (plugin_utils/locked_action.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.plugin_utils.locked_action import LockedActionBase


class ActionModule(LockedActionBase):
    MODULE = "procfile.systemd.procfile_install"
