# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first task of a deploy, as one task per host (see the module's documentation).

Every task of a play costs the controller a worker per host, also a task that only checks
or is skipped: the deploy used to run seven and skip five, most of them asserts, a
takeover of the lock and the three steps of sending a release. Here they are the steps of
one task, in the order that keeps a refused run from changing anything: check the inputs,
send and unpack the release, read the Procfile, check what depends on it, take the lock
and install.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.procfile.systemd.plugins.plugin_utils.locked_action import run_locked

# Arguments that name role variables: templated by this action, after the step before them
# ran, with that step's result among the variables (see _deferred).
_DEFERRED = ("read", "read_errors", "install", "plan")

# Role variables (vars/main.yml) that the deferred arguments use many times over: each
# use of a variable whose value is a template templates it again, and every template is
# compiled again in each worker (measured: 148 compilations for 83 distinct templates per
# host). Templated once here, in this order (each may use those before it), they are data
# for the rest of the task. Before the read, those that do not depend on the host; after
# it, those that depend on what the host's Procfile says.
_SHARED_BEFORE_READ = ("_procfile_source_given", "_procfile_user", "_procfile_group")
_SHARED_AFTER_READ = ("_procfile_all_processes", "_procfile_schedules", "_procfile_schedules_here",
                      "_procfile_processes", "_procfile_release_process", "_procfile_releases",
                      "_procfile_release_revision", "_procfile_release_dir", "_procfile_workdir",
                      "_procfile_counts")


class ActionModule(ActionBase):
    # False: with True, ActionBase makes the remote temporary directory before run() and
    # every host pays two more SSH round trips (make it, remove it), also without a
    # release; _release makes it when it sends one.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("checks", "release", "lock_timeout", "app") + _DEFERRED)
    # The steps' warnings and deprecations, for the task's result (see _deploy).
    _messages = None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            app=dict(type="str", required=True),
            checks=dict(type="list", elements="str", default=[]),
            release=dict(type="dict"),
            lock_timeout=dict(type="int", required=True),
            read=dict(type="str", required=True),
            read_errors=dict(type="str", required=True),
            install=dict(type="str", required=True),
            plan=dict(type="str"),
        ))
        try:
            result.update(self._deploy(args, task_vars))
        finally:
            if self._connection._shell.tmpdir:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _deploy(self, args, task_vars):
        self._messages = {"warnings": [], "deprecations": []}
        result = self._steps(args, task_vars)
        # Each step's warnings (a count variable that names no type, a takeover, ...) are
        # the task's: Ansible shows those of the task's result only, not of nested ones.
        for key, found in self._messages.items():
            found += [m for m in result.get(key) or [] if m not in found]
            if found:
                result[key] = found
        # Whether the install step was reached: only then can this run hold the app's lock
        # (the role's `always:` gives it back when a later task fails).
        result.setdefault("lock_tried", False)
        return result

    def _steps(self, args, task_vars):
        # 1. Inputs that need no host: one message naming every variable that fails.
        if args["checks"]:
            return dict(failed=True, msg="\n".join(args["checks"]))
        injected = {}
        self._share(_SHARED_BEFORE_READ, task_vars, injected)

        # 2. The release (procfile_source): sent and unpacked where missing, before the
        # Procfile is read, since the Procfile is the release's.
        if args["release"]:
            state = self._release(args["release"], task_vars)
            if state.get("failed"):
                return state
            injected["__procfile_release_state"] = state

        # 3. The Procfile, read on the host.
        info = self._module("procfile.systemd.procfile_info",
                            self._deferred(args["read"], task_vars, injected), task_vars)
        if info.get("failed"):
            return info
        injected["__procfile_install"] = {"info": info}
        injected["_procfile_read"] = info
        self._share(_SHARED_AFTER_READ, task_vars, injected)

        # 4. What depends on the Procfile's types: the environment, counts, settings.
        errors = self._deferred(args["read_errors"], task_vars, injected)
        if errors:
            return dict(failed=True, msg="\n".join(errors), info=info)

        # What the scheduled types' placement says (a count they ignore, a limited run).
        for warning in (injected.get("_procfile_schedules") or {}).get("warnings") or []:
            if warning not in self._messages["warnings"]:
                self._messages["warnings"].append(warning)

        # 5. The lock, then the install, in one call; a dead run's lock is taken over.
        install_args = self._deferred(args["install"], task_vars, injected)
        installed = run_locked(lambda a: self._module("procfile.systemd.procfile_install", a, task_vars),
                               dict(install_args, app=args["app"], lock_timeout=args["lock_timeout"]))
        installed["lock_tried"] = True
        installed["info"] = info
        if args["plan"] and not installed.get("failed"):
            # 6. What the apply task needs that this task already derived (the types, their
            # counts, health checks, upstreams): data for it, not templates to derive again.
            installed["plan"] = self._deferred(args["plan"], task_vars, injected)
        released = injected.get("__procfile_release_state")
        if released:
            # The release sent and unpacked is a change, and --diff names it.
            installed["release_state"] = released
            installed["changed"] = bool(installed.get("changed") or released.get("changed"))
            if released.get("diff"):
                diffs = installed.get("diff") or []
                installed["diff"] = [released["diff"]] + (diffs if isinstance(diffs, list) else [diffs])
        return installed

    def _release(self, release, task_vars):
        where = dict(root=release["root"], revision=release["revision"])
        state = self._module("procfile.systemd.procfile_release", where, task_vars)
        if state.get("failed") or state.get("complete") or self._play_context.check_mode:
            return state
        # As ansible.builtin.copy does it: into the remote temporary directory as the
        # connection's user, then into place as root (become or not) by the copy module.
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        staged = self._connection._shell.join_path(tmpdir, "release.tar.gz")
        self._transfer_file(release["archive"], staged)
        self._fixup_perms2((tmpdir, staged))
        sent = self._module("ansible.legacy.copy", dict(
            src=staged, dest=state["incoming"], owner="root", group="root", mode="0600",
            _original_basename=os.path.basename(release["archive"])), task_vars)
        if sent.get("failed"):
            return sent
        unpacked = self._module("procfile.systemd.procfile_release", dict(
            where, archive=state["incoming"], record=release.get("record") or {}), task_vars)
        if not unpacked.get("failed"):
            unpacked["changed"] = True
        return unpacked

    def _module(self, name, module_args, task_vars):
        result = self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars)
        if name != "procfile.systemd.procfile_install":
            # Kept for the task's result (see _deploy); the install's result is the task's own.
            for key, found in self._messages.items():
                found += [m for m in result.pop(key, None) or [] if m not in found]
        return result

    def _share(self, names, task_vars, injected):
        """The role variables NAMES, templated once each, into INJECTED (see _SHARED_BEFORE_READ)."""
        for name in names:
            injected[name] = self._deferred(name, task_vars, injected)

    def _deferred(self, name, task_vars, injected):
        """The role variable NAME, templated now, with INJECTED (this task's earlier results)
        among the variables. It names a variable instead of being a templated argument
        because it depends on those results, which only exist once this task runs."""
        if name not in task_vars:
            raise AnsibleError("procfile_deploy: the variable %s is not defined" % name)
        variables = dict(task_vars)
        variables.update(injected)
        if getattr(self._templar, "_engine", None) is not None:
            # ansible-core 2.19 and later (set_temporary_context is deprecated there).
            value = self._templar.copy_with_new_env(available_variables=variables).template(task_vars[name])
        else:
            # Before 2.19 a template's lookup() and query() stay bound to the templar that
            # made the Jinja environment: a copy's variables would not reach them (the unit
            # files lookup would render without this task's results).
            with self._templar.set_temporary_context(available_variables=variables):
                value = self._templar.template(task_vars[name])
        return _without_omitted(value, task_vars.get("omit"))


def _without_omitted(value, omit):
    """VALUE without the dict entries that templated to `omit`, as a task's arguments are
    (from ansible-core 2.19 the template engine drops them itself)."""
    if isinstance(value, dict):
        return dict((k, _without_omitted(v, omit)) for k, v in value.items()
                    if omit is None or not isinstance(v, str) or v != omit)
    if isinstance(value, list):
        return [_without_omitted(v, omit) for v in value]
    return value
