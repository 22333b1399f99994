# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules that act on one app share: the specs of their common options and
their first steps.

Each spec below is the code side of one doc fragment (named beside it), so that an
option is declared once for every module that documents it through that fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.instances import scan_owned_units
from ansible_collections.procfile.systemd.plugins.module_utils.lock import (
    DEFAULT_LOCK_DIR,
    hold,
    lock_path,
)
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.plugins.module_utils.units import app_name_error


def argument_spec(*shared, **own):
    """The specs of SHARED (the dicts below) and the module's OWN options, as one spec;
    copies, so that a module that changes one (procfile_lock's required lock_owner)
    changes nobody else's."""
    spec = {}
    for part in shared + (own,):
        for name, option in part.items():
            spec[name] = dict(option)
    return spec


# procfile.systemd.app
APP = dict(app=dict(type="str", required=True))
# procfile.systemd.app.units
UNITS = dict(
    state_file=dict(type="path"),
    unit_dir=dict(type="path", default="/etc/systemd/system"),
)
# procfile.systemd.lock
LOCK = dict(
    lock_owner=dict(type="dict"),
    lock_steal=dict(type="str"),
    lock_wait=dict(type="int", default=0),
    # Read by the module's action plugin on the controller (plugin_utils/locked_action.py).
    lock_timeout=dict(type="int", default=3600),
)
# procfile.systemd.lock.dir
LOCK_DIR = dict(lock_dir=dict(type="path", default=DEFAULT_LOCK_DIR))
# procfile_install and procfile_instances, which plan the app's instances: APP, UNITS,
# LOCK_DIR and procfile.systemd.app.plan.
PLAN = argument_spec(
    APP, UNITS, LOCK_DIR,
    base_port=dict(type="int", default=5000),
    types=dict(type="list", elements="str", default=[]),
    counts=dict(type="dict", default={}),
    schedules=dict(type="dict", default={}),
)


def checked_app(module):
    """The app's name, or the module fails: it becomes part of unit and file names."""
    app = module.params["app"]
    problem = app_name_error(app)
    if problem:
        module.fail_json(msg=problem)
    return app


def on_host(module, app):
    """The first step of a module that changes APP's instances: outside check mode, hold
    the guard of APP's lock (see lock.hold). Returns (systemctl, the host's units that
    carry an app's marker: see instances.scan_owned_units)."""
    host = Systemctl(module)
    if not module.check_mode:
        # Held until this process exits: a run that takes over the lease of a killed run
        # waits here for a module that run left working on the host.
        hold(lock_path(module.params["lock_dir"], app))
    return host, scan_owned_units(module.params["unit_dir"])
