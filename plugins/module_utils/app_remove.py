# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Taking an app off a host (--tags remove), in one module call per host.

What the app has on the host is read from the host itself: the unit files that carry
its ownership marker (X-ProcfileApp=<app>, never a name pattern: app shop never touches
shop-admin's units or a hand-written shop-foo@.service), the instances systemd has of
those units' types, and the app's files under the config and state directories.

The steps run in an order where every prefix is a state the next run completes:

1. its upstream lists (the proxy reloaded) leave the proxy, while the unit files still
   say where they are;
2. every instance, the release unit and the target stop (a plain `systemctl stop`, so
   each type's KillSignal and TimeoutStopSec apply), then they are disabled;
3. the unit files go (daemon-reload), then the environment file with the secrets, the
   state (release fingerprint, code stamp, version history, pause record);
4. with remove_user, the account, when the collection created it (its comment,
   `procfile.systemd app <app>`, written by useradd at creation, says so), and its home
   when a deploy made that home for it (the state's home record says so); what stays of
   the account's files (procfile_writable_dirs, a home not made by a deploy) is given to
   root first: useradd hands a deleted account's number to the next account it creates;
5. the app's lock.

procfile_root (the code) and the contents of procfile_writable_dirs (data) are never
removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import re
import shutil

from ansible_collections.procfile.systemd.plugins.module_utils.accounts import (
    ACCOUNT_COMMENT,
    created_by_us,
    give_to_root,
    recorded_home,
)

from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    instances_by_type,
    scan_owned_units,
)
from ansible_collections.procfile.systemd.plugins.module_utils.lock import (
    hold,
    lock_path,
    release,
    take,
)
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import UnsafePath, open_dir
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    app_name_error,
    release_name,
    scheduled_name,
    target_name,
    timer_name,
)
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import Upstreams

_USER_RE = re.compile(r"^User=(.*)$", re.M)


def refusal(app, confirm):
    """Why the removal must not run (the confirmation is missing or wrong), or None."""
    problem = app_name_error(app)
    if problem:
        return problem
    if confirm != app:
        return ("Refusing to remove app '%s': this stops its processes and deletes its units, "
                "environment file (its secrets) and state on every host of the play. To "
                "confirm, pass the app's name: -e procfile_remove_confirm=%s%s. Nothing was "
                "changed." % (app, app, "" if not confirm else
                              " (procfile_remove_confirm is %r)" % confirm))
    return None


def account_created_by_us(user, app):
    """The passwd entry of USER when the collection created it for APP (its comment),
    else None. Root and accounts made by hand are never ours."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    return entry if created_by_us(entry, app) else None


def users_of_other_apps(owned, app, user):
    """Other apps whose units run as USER (their account must stay)."""
    found = []
    for other, entry in sorted(owned.items()):
        if other == app:
            continue
        for path in entry["templates"].values():
            try:
                with open(path) as handle:
                    text = handle.read(65536)
            except (IOError, OSError, UnicodeDecodeError):
                continue
            if user in [u.strip() for u in _USER_RE.findall(text)]:
                found.append(other)
                break
    return found


def _is_dir(path):
    return os.path.isdir(path) and not os.path.islink(path)


def plan(module, host, app, p):
    """Everything APP has on this host, as what remove() would do."""
    unit_dir = p["unit_dir"]
    owned = scan_owned_units(unit_dir)
    mine = owned.get(app, {"templates": {}, "target": None, "upstreams": {}, "other": [],
                           "base_port": None, "scheduled": {}})
    types = sorted(mine["templates"])
    loaded = host.loaded_instances(app)
    running = instances_by_type(app, types, [u for u, s in loaded.items()
                                             if s["ActiveState"] in ACTIVE_STATES + ("deactivating",)])
    instances = sorted("%s-%s@%d.service" % (app, t, n) for t in types for n in running[t])
    # Failed ones too: systemd keeps a failed unit listed after its file is gone.
    known = instances_by_type(app, types, list(loaded))
    loaded_units = sorted("%s-%s@%d.service" % (app, t, n) for t in types for n in known[t])
    target, release_unit = target_name(app), release_name(app)
    # Scheduled types: their timers and services (a running job is stopped too).
    scheduled = mine.get("scheduled", {})
    scheduled_files = [path for t in sorted(scheduled) for key, path in sorted(scheduled[t].items())
                       if key in ("timer", "service")]
    unit_files = sorted(list(mine["templates"].values()) + ([mine["target"]] if mine["target"] else [])
                        + mine["other"] + scheduled_files)
    owned_names = set(os.path.basename(f) for f in unit_files)
    timers = [timer_name(app, t) for t in sorted(scheduled) if "timer" in scheduled[t]]
    others = [u for u in [target, release_unit] + timers + [scheduled_name(app, t) for t in sorted(scheduled)]
              if u in owned_names]
    states = host.states(others, "Id,ActiveState,UnitFileState", check=False) if others else {}
    # One-off commands still running (procfile-run): stopped, or they would outlive the app.
    stop = instances + host.one_offs(app) + [
        u for u in others if states.get(u, {}).get("ActiveState") in ACTIVE_STATES + ("deactivating",)]
    wants = os.path.join(unit_dir, target + ".wants")
    try:
        wanted = sorted(os.listdir(wants)) if _is_dir(wants) else []
    except OSError:
        wanted = []
    # This app's instance links only (an entry someone else put there stays).
    links = [os.path.join(wants, name) for t, ns in sorted(instances_by_type(app, types, wanted).items())
             for name in ("%s-%s@%d.service" % (app, t, n) for n in sorted(ns))]
    # And its timers' (what `systemctl disable` removes; gone here all the same).
    links += [os.path.join(wants, name) for name in timers if name in wanted]
    target_links = []
    if mine["target"]:
        for entry in sorted(os.listdir(unit_dir)):
            link = os.path.join(unit_dir, entry, target)
            if entry.endswith(".wants") and os.path.islink(link):
                target_links.append(link)
    disable = [os.path.basename(link) for link in links] + (
        [target] if target_links or states.get(target, {}).get("UnitFileState") == "enabled" else [])
    disable += [u for u in timers if states.get(u, {}).get("UnitFileState") == "enabled" and u not in disable]
    upstreams = dict((t, s) for t, s in mine["upstreams"].items()
                     if s.get("path") and os.path.isfile(s["path"]))
    env_file = os.path.join(p["config_dir"], app, "environment")
    config_dir = os.path.join(p["config_dir"], app)
    state_dir = os.path.join(p["state_dir"], app)
    files = [f for f in [env_file] if os.path.lexists(f)]
    # The host command all apps share goes with the last of them.
    run_command = p.get("run_command")
    if run_command and os.path.lexists(run_command) and not other_apps_with_one_offs(p["config_dir"], app):
        files.append(run_command)
    dirs = [d for d in (config_dir, state_dir) if os.path.lexists(d)]
    state_files = []
    if _is_dir(state_dir):
        for base, _subdirs, names in os.walk(state_dir):
            state_files += [os.path.join(base, n) for n in sorted(names)]
    account, home, kept_account, to_root = None, None, None, []
    if p["remove_user"]:
        entry = account_created_by_us(p["user"], app)
        users = users_of_other_apps(owned, app, p["user"]) if entry else []
        if entry and users:
            kept_account = ("the account %s stays: app(s) %s run as it too"
                            % (p["user"], ", ".join(users)))
        elif entry:
            account = p["user"]
            home = _home_to_remove(entry.pw_dir, p["home"], p["root"])
            if home and recorded_home(state_dir) != home:
                # Not recorded as made by a deploy (an older version took an existing
                # directory over): kept, and given to root with the data.
                home = None
            to_root = [d for d in list(p.get("writable_dirs") or []) + [entry.pw_dir]
                       if d and d != home and _is_dir(d) and d not in ("/",)]
        elif p["user"] != "root":
            try:
                pwd.getpwnam(p["user"])
                kept_account = ("the account %s stays: procfile.systemd did not create it for app "
                                "%s (its comment is not '%s')"
                                % (p["user"], app, ACCOUNT_COMMENT % app))
            except KeyError:
                pass
    return dict(types=types, stop=stop, clean=timers, loaded=loaded_units + others, disable=disable, links=links, target_links=target_links,
                unit_files=unit_files, upstreams=upstreams, base_port=mine["base_port"],
                files=files, dirs=dirs, state_files=state_files, account=account, home=home,
                kept_account=kept_account, to_root=sorted(set(to_root)))


def other_apps_with_one_offs(config_dir, app):
    """The other apps under CONFIG_DIR that procfile-run can run commands of."""
    try:
        names = sorted(os.listdir(config_dir))
    except OSError:
        return []
    return [n for n in names if n != app and os.path.isfile(os.path.join(config_dir, n, "run.json"))]


def _home_to_remove(current, home, root):
    """The account's home, when it is procfile_home (never /, never procfile_root or in it)."""
    if not current or not home:
        return None
    current, home = os.path.normpath(current), os.path.normpath(home)
    if current != home or current == "/" or not os.path.isabs(current):
        return None
    if root:
        root = os.path.normpath(root)
        if current == root or current.startswith(root.rstrip("/") + "/") \
                or root.startswith(current.rstrip("/") + "/"):
            return None
    return current if _is_dir(current) else None


def hand_over(module, user, dirs):
    """DIRS, which outlive the account USER, become root's: every entry in them owned by
    the account (or by its own group, which userdel deletes with it). Reached through
    descriptors, never through a link the app could have planted (see safepath)."""
    entry = pwd.getpwnam(user)
    try:
        private_group = grp.getgrgid(entry.pw_gid).gr_name == user
    except KeyError:
        private_group = False
    done = []
    for path in dirs:
        try:
            fd = open_dir(path, what="directory %s, kept when account %s is removed" % (path, user))
        except UnsafePath as exc:
            module.fail_json(msg="%s. The account was not removed." % exc)
        if fd is None:
            continue
        try:
            give_to_root(fd, entry.pw_uid, entry.pw_gid if private_group else -1)
        finally:
            os.close(fd)
        done.append(path)
    return done


def inventory(todo):
    """What the plan removes, one line each (the diff's before)."""
    lines = ["upstream file %s (%s)" % (s["path"], t) for t, s in sorted(todo["upstreams"].items())]
    lines += ["running %s" % u for u in todo["stop"]]
    lines += ["enabled %s" % u for u in todo["disable"]]
    lines += ["link %s" % path for path in todo["links"] + todo["target_links"]]
    lines += ["unit %s" % path for path in todo["unit_files"]]
    lines += ["file %s" % path for path in todo["files"] + todo["state_files"]]
    lines += ["directory %s" % path for path in todo["dirs"]]
    if todo["home"]:
        lines.append("home %s" % todo["home"])
    lines += ["owner of %s: root (kept; its account goes)" % d for d in todo["to_root"]]
    if todo["account"]:
        lines.append("account %s" % todo["account"])
    return lines


def remove(module, host, app, p):
    """Remove APP from this host; the module's result. Refuses before any change."""
    problem = refusal(app, p["confirm"])
    if problem:
        module.fail_json(msg=problem)
    path = lock_path(p["lock_dir"], app)
    owner = p["lock_owner"] or {}
    guard_fd = None
    if owner:
        # The removal's whole run under the app's lock (see lock.take), the lock itself
        # removed as the last step.
        _holder, refused = take(module, app, p)
        if refused:
            return refused
    if not module.check_mode:
        # Held until the module exits: a run that takes the lock over waits for this one.
        guard_fd = hold(path)
    todo = plan(module, host, app, p)
    # Root rewrites and removes the upstream files: refused before any change (in check
    # mode too), as a deploy refuses them, when anyone but root could swap them.
    proxy = Upstreams(module, host, app, todo["base_port"] or 0, todo["upstreams"])
    problems = proxy.check_paths()
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was changed on this host.",
                         problems=problems)
    lines = inventory(todo)
    result = dict(changed=bool(lines), removed=lines, stopped=todo["stop"],
                  unit_files=todo["unit_files"], upstream_files=[], kept_upstream_files=[],
                  account_removed=todo["account"], unlocked=False,
                  acquired=bool(owner), holder=None)
    if todo["kept_account"]:
        module.warn(todo["kept_account"])
    if module._diff:
        result["diff"] = dict(before_header="app %s on this host" % app,
                              after_header="app %s on this host" % app,
                              before="".join(line + "\n" for line in lines), after="")
    if not lines:
        result["msg"] = "nothing of app %s on this host" % app
    else:
        result["msg"] = "%s app %s from this host: %d running unit(s) stopped, %d unit file(s), %s" % (
            "would remove" if module.check_mode else "removed", app, len(todo["stop"]),
            len(todo["unit_files"]), ", ".join(
                ([("the environment file")] if todo["files"] else [])
                + (["the state"] if todo["dirs"] else [])
                + (["upstream file(s) %s" % ", ".join(s["path"] for s in todo["upstreams"].values())]
                   if todo["upstreams"] else [])
                + (["the account %s" % todo["account"]] if todo["account"] else [])) or "nothing else")
    if module.check_mode:
        return result

    # 1. The proxy stops sending requests before the instances stop.
    if todo["upstreams"]:
        proxy.publish(dict((t, []) for t in todo["upstreams"]))
        result["upstream_files"] = proxy.retire(list(todo["upstreams"]), why="is being removed")
        result["kept_upstream_files"] = sorted(s["path"] for t, s in proxy.settings.items()
                                               if s["path"] not in result["upstream_files"])
    # 2. Stop gracefully, then disable: one call per kind of action.
    if todo["stop"]:
        host.run("stop", "--", *todo["stop"])
    if todo["disable"]:
        host.run("disable", "--quiet", "--", *todo["disable"])
    for link in todo["links"] + todo["target_links"]:
        if os.path.islink(link):
            os.remove(link)
    wants = os.path.join(p["unit_dir"], target_name(app) + ".wants")
    if _is_dir(wants) and not os.listdir(wants):
        os.rmdir(wants)
    host.reset_failed(todo["loaded"])
    if todo["clean"]:
        # The timers' last-run stamps, while the timers are still loaded: a stamp outlives
        # its unit, and an app of the same name deployed later would run its jobs at once.
        host.run("clean", "--what=state", "--", *todo["clean"], check=False)
    # 3. Units, then the secrets and the state.
    for unit_file in todo["unit_files"]:
        if os.path.lexists(unit_file):
            os.remove(unit_file)
    if todo["unit_files"] or todo["links"] or todo["target_links"]:
        host.run("daemon-reload")
    for f in todo["files"]:
        if os.path.lexists(f):
            os.remove(f)
    for d in todo["dirs"]:
        # Root-only directories (0700) under root-only parents: nothing else writes there.
        if os.path.islink(d):
            os.remove(d)
        elif os.path.isdir(d):
            shutil.rmtree(d)
    # 4. The home while the account still says it is the app's, then the account.
    if todo["home"]:
        # rmtree never follows a link inside the tree it removes.
        shutil.rmtree(todo["home"])
    if todo["account"]:
        result["given_to_root"] = hand_over(module, todo["account"], todo["to_root"])
        module.run_command([module.get_bin_path("userdel", required=True), todo["account"]],
                           check_rc=True)
    # 5. The lock: the lease this run holds, and its guard.
    if owner and release(path, owner.get("token"), guard_held=True):
        result["unlocked"] = True
    try:
        os.remove(path + ".guard")
    except OSError:
        pass
    os.close(guard_fd)
    return result
