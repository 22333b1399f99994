# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's lock, the controller's half: one protocol for every module that changes an app.

The module takes the lock on the host with lock_owner (module_utils/lock.take) for its
whole call and gives it back however the call ends (a deploy's install keeps it until
procfile_instances state=apply gives it back). What the host cannot know is decided here:
whether the run holding the lock is gone (its ansible-playbook exited on this controller,
or its lease is older than lock_timeout on another one). A gone run's lock is taken over by
calling the module again with lock_steal; a live run's fails the task with one message,
the same for every operation (lock_refusal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.procfile.systemd.plugins.plugin_utils.controller import lock_is_stale, lock_refusal


def run_locked(execute, args):
    """EXECUTE(ARGS) (one module call), then, if the module found the lock held: again with
    lock_steal when the holder is gone, else the refusal. ARGS has app, lock_owner and
    lock_timeout (the module's options)."""
    result = execute(args)
    if not args.get("lock_owner") or result.get("failed") or result.get("acquired") is not False:
        return result
    holder = result.get("holder") or {}
    if lock_is_stale(holder, args.get("lock_timeout", 3600)):
        result = execute(dict(args, lock_steal=holder["token"]))
        if result.get("failed") or result.get("acquired") is not False:
            return result
    result.update(failed=True, msg=lock_refusal(args.get("app"), result))
    return result


class LockedActionBase(ActionBase):
    """The action plugin of a module that takes the app's lock: the module of MODULE, called
    through run_locked."""

    MODULE = None

    def run(self, tmp=None, task_vars=None):
        result = super(LockedActionBase, self).run(tmp, task_vars)
        try:
            result.update(run_locked(lambda args: self._execute_module(
                module_name=self.MODULE, module_args=args, task_vars=task_vars), dict(self._task.args)))
        finally:
            if self._connection._shell.tmpdir:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
