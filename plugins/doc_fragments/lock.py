# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the app's lock, shared by every module that takes it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):  # pylint: disable=too-few-public-methods
    """extends_documentation_fragment: procfile.systemd.lock and procfile.systemd.lock.dir"""

    DOCUMENTATION = r"""
options:
  lock_owner:
    description:
      - Take the app's lock for this run, C(lookup('procfile.systemd.controller_run')),
        which has a C(token), and C(controller), C(boot_id), C(user) and C(pid) to say who
        holds the lock.
      - Held by another run, the module changes nothing and returns RV(acquired=false) and
        the RV(holder); the caller decides (wait, take over from a dead run, or fail).
    type: dict
  lock_steal:
    description:
      - With O(lock_owner), the token of a holder the controller found dead (filter
        C(procfile.systemd.lock_is_stale)); its lock is taken over, with a warning.
    type: str
  lock_wait:
    description: With O(lock_owner), seconds to wait for another run to give the lock back.
    type: int
    default: 0
  lock_timeout:
    description:
      - With O(lock_owner), seconds after which the lock of a run on another controller is
        presumed gone (C(procfile_lock_timeout)); one on this controller is known gone as
        soon as its C(ansible-playbook) process has exited.
      - Used on the controller by the action plugins of the modules that change an app
        (M(procfile.systemd.procfile_instances), M(procfile.systemd.procfile_remove), and
        M(procfile.systemd.procfile_install) through M(procfile.systemd.procfile_deploy)).
        A dead run's lock is taken over (the module is called again with O(lock_steal)), a
        live run's fails the task with a message naming it. M(procfile.systemd.procfile_lock)
        has no action plugin; it returns RV(acquired=false) and the holder to its caller.
    type: int
    default: 3600
"""

    # procfile.systemd.lock.dir: where the locks are, for a module that holds the lock's
    # guard or gives the lock back without taking it (procfile_instances).
    DIR = r"""
options:
  lock_dir:
    description:
      - Where the apps' locks live on the host (root-only, on C(/run) so that a reboot
        frees them). A lock is C(<app>.lock), a lease naming the run that holds it, beside
        C(<app>.lock.guard), whose C(flock) serializes every change of the lease and is
        held by a module for as long as it changes the host.
    type: path
    default: /run/procfile-systemd
"""
