# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's instances on one host: plan and apply the wanted counts, pause, resume
and restart, one function per state of procfile_instances; apply's planning (_plan) also
runs first in procfile_install (install_app), which stops before any instance changes.
Each returns the module's result; a refusal fails the module before anything changed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.procfile.systemd.plugins.module_utils import dyno
from ansible_collections.procfile.systemd.plugins.module_utils import release as rel
from ansible_collections.procfile.systemd.plugins.module_utils import schedules as sched
from ansible_collections.procfile.systemd.plugins.module_utils.app_install import install
from ansible_collections.procfile.systemd.plugins.module_utils.files import read_text, write_atomic
from ansible_collections.procfile.systemd.plugins.module_utils.health import wait_healthy
from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    allocate,
    enabled_instances,
    instances_by_type,
)
from ansible_collections.procfile.systemd.plugins.module_utils.lock import lock_path, release
from ansible_collections.procfile.systemd.plugins.module_utils.policy import (
    missing_after_units,
    missing_shells,
    port_clash,
    unit_name_conflict,
)
from ansible_collections.procfile.systemd.plugins.module_utils.proc import START_SLACK, start_time
from ansible_collections.procfile.systemd.plugins.module_utils.roll import rolling_restart
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import Upstreams
from ansible_collections.procfile.systemd.plugins.module_utils.versions import (
    appended,
    read_history,
)
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    instance_name,
    target_name,
    template_name,
)


def mtime(path):
    try:
        return os.stat(path).st_mtime
    except (OSError, TypeError):
        return 0


def stale(states, units_by_type, templates, env_file, code_file=None):
    """Running instances started before their template, the environment file or the
    app's code stamp (see app_install.code_change) changed."""
    env_changed = max(mtime(env_file), mtime(code_file))
    found = []
    for t, units in units_by_type.items():
        changed = max(env_changed, mtime(templates.get(t)))
        for unit in units:
            pid = int(states.get(unit, {}).get("MainPID") or 0)
            started = start_time(pid) if pid else None
            # One clock tick of slack: the start time is only that precise.
            if started is not None and started + START_SLACK < changed:
                found.append(unit)
    return found


def describe(app, numbers):
    """The instances per type, one line each: `worker: 3 4 5 (shop-worker@N.service)`."""
    return "\n".join("%s: %s (%s)" % (t, " ".join(str(n) for n in ns) or "-",
                                      template_name(app, t).replace("@", "@N"))
                     for t, ns in sorted(numbers.items())) + "\n"


def present_instances(host, app, types, unit_dir, loaded=None):
    """{type: set of numbers}: enabled instances, and instances running without being enabled."""
    enabled = enabled_instances(unit_dir, app, types)
    present = instances_by_type(app, types, host.active_instances(app, loaded))
    for t in types:
        present[t] |= set(enabled[t])
    return present


def read_pause_record(module, path):
    text = read_text(path)
    if not text:
        return None
    try:
        record = json.loads(text)
        return dict((t, sorted(int(n) for n in ns)) for t, ns in record["instances"].items())
    except (ValueError, KeyError, TypeError, AttributeError):
        module.fail_json(msg="%s is not a pause record procfile.systemd wrote; inspect or remove "
                             "it" % path)


def pause(module, host, app, owned_types, unit_dir, state_file, scheduled=()):
    """Stop and disable the instances, recorded for resume, and the timers of SCHEDULED
    (the scheduled types the host has): a running job is stopped, and no run starts until
    resume (which runs a run missed meanwhile once: Persistent=true)."""
    record = read_pause_record(module, state_file)
    present = present_instances(host, app, owned_types, unit_dir)
    units = [instance_name(app, t, n) for t in owned_types for n in sorted(present[t])]
    timers = sched.stopping(app, scheduled, sched.unit_states(host, app, list(scheduled)))
    running, enabled = timers["stop"], timers["disable"]
    kept = record is not None
    if record is None:
        record = dict((t, sorted(present[t])) for t in owned_types)
    result = dict(changed=bool(units or running or enabled) or not kept, paused=True, record=record,
                  stop=units + running, timers=list(scheduled))
    count = sum(len(ns) for ns in record.values())
    result["msg"] = ("%s was already paused; kept the first record (%d instances)" % (app, count)
                     if kept else "%s paused: %d instances stopped and disabled, recorded for "
                     "resume" % (app, count))
    if module.check_mode:
        return result
    if not kept:
        write_atomic(state_file, json.dumps({"app": app, "instances": record,
                                             "timers": list(scheduled),
                                             "paused_at": int(time.time())}) + "\n", 0o600)
    if running or enabled:
        # The timers first, so that no run starts while the job is being stopped.
        sched.remove_units(host, dict(stop=running, disable=enabled, clean=[], files=[]))
    if units:
        host.run("stop", "--", *units)
        host.run("disable", "--quiet", "--", *units)
        host.reset_failed(units)
    return result


def resume(module, host, app, owned_types, unit_dir, state_file, scheduled=()):
    """Start the recorded instances again, and the timers of every scheduled type the
    host has now (a deploy while paused may have added or removed some)."""
    record = read_pause_record(module, state_file)
    if record is None:
        return dict(changed=False, paused=False, start=[],
                    msg="%s is not paused: nothing to resume" % app)
    # Types removed from the Procfile while paused have no template any more.
    units = [instance_name(app, t, n) for t, ns in sorted(record.items()) if t in owned_types
             for n in ns]
    timers = sched.unit_names(app, scheduled)[0]
    result = dict(changed=True, paused=False, record=record, start=units + timers,
                  msg="%s resumed: %d instances enabled and started with their numbers%s"
                      % (app, len(units), ", %d timer(s) started" % len(timers) if timers else ""))
    if module.check_mode:
        return result
    if units or timers:
        host.run("enable", "--quiet", "--", *(units + timers))
        host.run("start", "--", *(units + timers))
    os.remove(state_file)
    return result


def restart(module, host, app, owned_types, unit_dir, only, base_port, checks, max_unavailable,
            upstreams=None):
    """Restart the running instances of ONLY (types, or instances in the dyno form
    `worker.2`; all when empty), one roll behind the health checks."""
    loaded = host.loaded_instances(app)
    present = present_instances(host, app, owned_types, unit_dir, loaded)
    chosen, errors = dyno.select(app, only, dict((t, present[t]) for t in owned_types))
    if errors:
        module.fail_json(msg="; ".join(errors))
    types = [t for t in owned_types if t in chosen]

    def running(t, numbers):
        return [n for n in sorted(numbers)
                if loaded.get(instance_name(app, t, n), {}).get("ActiveState") in ACTIVE_STATES]

    units = [instance_name(app, t, n) for t in types for n in running(t, chosen[t])]
    # Root rewrites the upstream files during the roll: refused before any change (in
    # check mode too), as a deploy refuses them, when anyone but root could swap them.
    proxy = Upstreams(module, host, app, base_port,
                      dict((t, u) for t, u in (upstreams or {}).items() if t in types))
    problems = proxy.check_paths()
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was changed on this host.",
                         problems=problems)
    result = dict(changed=bool(units), restart=units,
                  msg="%s: restarted %d instances" % (app, len(units)) if units
                  else "%s: no running instance to restart" % app)
    if units and not module.check_mode:
        # The same roll and health gate as a deploy's: inside the host, at most
        # max_unavailable instances of a type down at once; across hosts (procfile_serial)
        # the restart stops at the first host that does not come back healthy.
        numbers = dict((t, running(t, chosen[t])) for t in types)
        # The proxy lists every running instance of a type, not only those restarting
        # (one instance, worker.2, restarts while the others keep serving).
        members = dict((t, running(t, present[t])) for t in types)
        rolled = rolling_restart(module, host, app, base_port, numbers, checks, max_unavailable,
                                 before_round=lambda batch: proxy.publish(dict(
                                     (t, [n for n in ns if n not in batch.get(t, [])])
                                     for t, ns in members.items())))
        result["upstream_files"] = proxy.publish(members) if not rolled["msg"] else []
        result.update(healthy=rolled["healthy"], rounds=rolled["rounds"])
        if rolled["msg"]:
            result.update(msg=rolled["msg"], unhealthy=rolled["unhealthy"],
                          restart=rolled["restarted"], not_restarted=rolled["not_restarted"])
            module.fail_json(**result)
    return result


class _Plan(object):
    """What _plan() found: the names apply() goes on with."""

    def __init__(self, **found):
        self.__dict__.update(found)


def _plan(module, host, app, types, p, owned):
    """The wanted instances against the host, checked before any change: the counts, the
    unit names and ports of the host's other apps, the upstream files' directories. The
    first step of both install_app() and apply(); a refusal fails the module."""
    unit_dir = p["unit_dir"]
    mine = owned.get(app, {"templates": {}, "target": None})
    try:
        counts = dict((t, int(p["counts"].get(t, 0))) for t in types)
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="counts must be integers: %s" % exc)
    unknown = sorted(set(p["counts"]) - set(types))
    if unknown:
        module.fail_json(msg="counts for types the Procfile lacks: %s" % ", ".join(unknown))

    problem = unit_name_conflict(app, types, owned, unit_dir,
                                 scheduled=sched.kept(p.get("schedules"), mine))
    if problem:
        module.fail_json(**problem)
    removed_types = sorted(t for t in mine["templates"] if t not in types)
    known_types = list(types) + removed_types
    paused = read_pause_record(module, p["state_file"])

    loaded = host.loaded_instances(app)
    running_before = set(u for u, st in loaded.items() if st.get("ActiveState") in ACTIVE_STATES)
    present = present_instances(host, app, known_types, unit_dir, loaded)
    before = dict((t, sorted(ns)) for t, ns in present.items() if ns or t in types)
    after = allocate(present, counts, types)
    if paused is not None:
        # Paused: nothing is started; the record says what resume brings back.
        after = dict((t, list(paused.get(t, []))) for t in types)
    problem = port_clash(app, p["base_port"], after, owned, unit_dir)
    if problem:
        module.fail_json(**problem)
    # A type that left the Procfile took its settings along; its unit file says where its
    # list is, so that the list empties before its instances stop, and then goes.
    gone = dict((t, u) for t, u in mine.get("upstreams", {}).items() if t in removed_types)
    proxy = Upstreams(module, host, app, p["base_port"], dict(
        [(t, u) for t, u in (p["upstreams"] or {}).items() if t in types] + list(gone.items())))
    problems = proxy.check_paths()
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was changed on this host.",
                         problems=problems)
    timers = sched.plan(host, app, p.get("schedules") or {}, mine, paused is not None)
    return _Plan(timers=timers, unit_dir=unit_dir, mine=mine, counts=counts, removed_types=removed_types,
                 known_types=known_types, paused=paused, loaded=loaded, running_before=running_before,
                 present=present, before=before, after=after, proxy=proxy, gone=gone)


def install_app(module, host, app, types, p, owned, lock=None):
    """procfile_install: the plan's checks and the install's own (every shell there,
    the units of procfile_after), then the files (see app_install); no instance changes."""
    _plan(module, host, app, types, p, owned)
    problem = missing_shells(p["shells"])
    if problem:
        module.fail_json(**problem)
    problem = missing_after_units(host, p["after"])
    if problem and p["after_strict"]:
        problem["msg"] += " (procfile_after_strict: true)"
        module.fail_json(**problem)
    if problem:
        module.warn(problem["msg"])
    return install(module, host, app, types, p, lock)


def apply(module, host, app, types, p, owned):
    """procfile_instances state=apply: bring the instances in line with the plan (which
    run, start, stop, restart and are enabled). Returns the result."""
    plan = _plan(module, host, app, types, p, owned)
    unit_dir, mine, paused, after = plan.unit_dir, plan.mine, plan.paused, plan.after
    removed_types, known_types, loaded = plan.removed_types, plan.known_types, plan.loaded
    running_before, present, before, proxy = plan.running_before, plan.present, plan.before, plan.proxy
    counts, gone, timers = plan.counts, plan.gone, plan.timers

    wanted_units = dict((t, [instance_name(app, t, n) for n in after[t]]) for t in types)
    wanted = [u for t in types for u in wanted_units[t]]
    surplus = [instance_name(app, t, n) for t in known_types for n in sorted(present[t])
               if t not in after or n not in after[t] or paused is not None]
    # MainPID (for stale instances) and NeedDaemonReload of the loaded ones only.
    target = target_name(app)
    states = host.states([target] + [u for u in wanted if u in loaded],
                         "Id,ActiveState,UnitFileState,MainPID,NeedDaemonReload")
    target_state = states.get(target, {})
    enable_target = target_state.get("UnitFileState") != "enabled"
    start_target = target_state.get("ActiveState") != "active"
    released = read_text(p["fingerprint_file"])
    running = set(u for u in wanted if loaded.get(u, {}).get("ActiveState") in ACTIVE_STATES)
    if paused is None:
        start = [u for u in wanted if u not in running]
        # Enabled means what `systemctl enable` makes of [Install] WantedBy=<app>.target:
        # the instance's link in <app>.target.wants, read from the disk.
        enabled = enabled_instances(unit_dir, app, types)
        enable = [instance_name(app, t, n) for t in types for n in after[t] if n not in enabled[t]]
        reasons = dict((t, (p["restart_reasons"] or {}).get(t) or "its unit or environment changed")
                       for t in p["restart"])
        restart = [u for t in types if t in reasons for u in wanted_units[t] if u in running]
        for u in stale(states, wanted_units, mine["templates"], p["env_file"], p["code_file"]):
            if u in running and u not in restart:
                restart.append(u)
                # An earlier run changed it and stopped before restarting (e.g. its release failed).
                t = u.split("@", 1)[0][len(app) + 1:]
                reasons.setdefault(t, "it started before its unit, environment or code last "
                                      "changed")
        restart_why = dict((t, r) for t, r in reasons.items()
                           if any(u in restart for u in wanted_units.get(t, [])))
    else:
        start, enable, restart, restart_why = [], [], [], {}
    daemon_reload = any(s.get("NeedDaemonReload") == "yes" for s in states.values())
    record = p["fingerprint"] is not None and p["fingerprint"] != released
    # Releases (procfile_source): `current` goes to the deployed release here, after the
    # release phase, and the instances that ran the previous one restart into it.
    release_p = p.get("release") or None
    switch = None
    if release_p:
        was = rel.current_revision(release_p["root"])
        if was != release_p["revision"]:
            switch = (was, release_p["revision"])
            if not module.check_mode and not rel.is_complete(
                    os.path.join(release_p["root"], rel.RELEASES), release_p["revision"]):
                module.fail_json(msg="release %s is not complete in %s/%s: nothing was switched"
                                     % (release_p["revision"], release_p["root"], rel.RELEASES))
            if paused is None:
                why = "its release changed to %s" % release_p["revision"]
                for t in types:
                    for u in wanted_units[t]:
                        if u in running and u not in restart:
                            restart.append(u)
                            reasons.setdefault(t, why)
                restart_why = dict((t, r) for t, r in reasons.items()
                                   if any(u in restart for u in wanted_units.get(t, [])))

    result = dict(
        changed=bool(start or enable or surplus or restart or removed_types or daemon_reload
                     or record or enable_target or start_target or switch or timers["enable"]
                     or timers["start"] or timers["remove"]),
        timers=timers["timers"], timers_started=timers["start"], timers_removed=timers["remove"],
        instances=after, before=before, start=start, stop=surplus, restart=restart,
        restart_reasons=restart_why,
        removed_types=removed_types, units=wanted_units, released_fingerprint=released,
        paused=paused is not None,
        msg=("%s is paused: units updated, no instance started (resume with --tags resume)"
             % app) if paused is not None else "",
    )
    if paused is not None:
        # Paused, the lists stay as they are: resume starts the same instances again, and
        # they are what the lists hold. A type that left the Procfile still loses its list.
        proxy.settings = dict((t, s) for t, s in proxy.settings.items() if t in gone)
    # What the front proxies list once applied: the wanted instances.
    listed = dict((t, after.get(t, [])) for t in proxy.settings)
    upstream_files = sorted(proxy.changes(listed))
    result["upstream_files"] = upstream_files
    result["changed"] = result["changed"] or bool(upstream_files)
    if module._diff:
        numbers = dict((t, " ".join(u.split("@", 1)[1].split(".")[0] for u in restart
                                    if u in wanted_units[t])) for t in restart_why)
        after_text = describe(app, after) + "".join(
            "restart %s: %s (%s)\n" % (t, numbers[t], why) for t, why in sorted(restart_why.items()))
        after_text += sched.describe(app, timers["timers"])
        before_text = describe(app, before) + sched.describe(
            app, sorted(set(mine.get("scheduled", {})) & set(timers["timers"] + timers["remove"])))
        if switch:
            before_text += "current -> %s\n" % ("%s/%s" % (rel.RELEASES, switch[0]) if switch[0] else "(none)")
            after_text += "current -> %s/%s\n" % (rel.RELEASES, switch[1])
        result["diff"] = dict(before=before_text, after=after_text,
                              before_header="%s instances" % app, after_header="%s instances" % app)
    if switch:
        result["release"] = dict(previous=switch[0], current=switch[1])
    if module.check_mode:
        return result

    # ---- apply, in the order that keeps the host consistent at every step
    if daemon_reload:
        host.run("daemon-reload")
    if switch:
        # Before any instance starts: new ones start in the new release; the running ones
        # keep the one they started in until their turn in the roll below.
        rel.switch_current(release_p["root"], switch[1])
    if surplus:
        # Out of the proxy's list (and the proxy reloaded) before they stop.
        leaving = dict((t, [n for n in present[t]
                            if instance_name(app, t, n) in running_before
                            and instance_name(app, t, n) not in surplus])
                       for t in proxy.settings if t in present)
        proxy.publish(leaving)
        host.run("stop", "--", *surplus)
        host.run("disable", "--quiet", "--", *surplus)
        host.reset_failed(surplus)
    if removed_types:
        for t in removed_types:
            os.remove(mine["templates"][t])
        host.run("daemon-reload")
    if timers["remove"]:
        # A type that left, lost its schedule or moved to another host: its timer and
        # service go, a running job stopped with its stop signal.
        sched.remove_units(host, timers)
    # One enable and one start for the target and the instances together: each enable
    # reloads systemd, which costs more the more units it has loaded.
    enable_now = ([target] if enable_target else []) + enable + timers["enable"]
    if enable_now:
        host.run("enable", "--quiet", "--", *enable_now)
    start_now = ([target] if start_target else []) + start + timers["start"]
    if start_now:
        host.run("start", "--", *start_now)
    checks = p["health_checks"]
    if (start or restart) and checks:
        # Every instance that is not about to restart answers first (the new ones, and
        # those that stay): a roll never takes an instance down beside a broken one.
        steady = dict((t, [n for n in after[t] if instance_name(app, t, n) not in restart])
                      for t in types)
        healthy, unhealthy, message = wait_healthy(module, app, p["base_port"], steady, checks)
        result["healthy"] = healthy
        if message:
            # The fingerprint stays unrecorded and the lock held: the role gives it back.
            result.update(msg=message + ("; nothing was restarted" if restart else ""),
                          unhealthy=unhealthy, restart=[], not_restarted=restart)
            module.fail_json(**result)
    if restart:
        numbers = dict((t, [n for n in after[t] if instance_name(app, t, n) in restart])
                       for t in types)
        # Each batch leaves the proxy's list before it stops; the batch before it, healthy
        # again, is back in the same reload.
        rolled = rolling_restart(module, host, app, p["base_port"], numbers, checks,
                                 p["max_unavailable"], before_round=lambda batch: proxy.publish(
                                     dict((t, [n for n in listed[t] if n not in batch.get(t, [])])
                                          for t in listed)))
        result["healthy"] = result.get("healthy", []) + rolled["healthy"]
        result["rounds"] = rolled["rounds"]
        if rolled["msg"]:
            result.update(msg=rolled["msg"], unhealthy=rolled["unhealthy"],
                          restart=rolled["restarted"], not_restarted=rolled["not_restarted"])
            module.fail_json(**result)
    # Every wanted instance answers now (or has no check): all of them in the list.
    proxy.publish(listed)
    result["upstream_files_removed"] = proxy.retire(gone)
    if record:
        write_atomic(p["fingerprint_file"], p["fingerprint"] + "\n", 0o600)
    if release_p:
        result["releases_removed"] = prune_releases(release_p["root"], release_p.get("keep") or 5)
        result["changed"] = result["changed"] or bool(result["releases_removed"])
    if p["unlock"]:
        # The last step of a deploy: give the app's lock back (this run's, this acquisition's).
        result["unlocked_nonce"] = p["unlock"].get("nonce") if release(
            lock_path(p["lock_dir"], app), p["unlock"].get("token"), nonce=p["unlock"].get("nonce"),
            guard_held=True) else None
    return result


def prune_releases(root, keep):
    """Remove the releases beyond the KEEP most recently used, oldest first, never the one
    `current` names nor one a process works in (its cwd), and the leftovers of killed
    runs. Returns the revisions removed."""
    releases_dir = os.path.join(root, rel.RELEASES)
    releases = rel.complete_releases(releases_dir)
    protected = set(rel.releases_in_use(releases_dir))
    current = rel.current_revision(root)
    if current:
        protected.add(current)
    removed = []
    for revision in rel.prunable(releases, keep, protected):
        rel.remove_tree(os.path.join(releases_dir, revision))
        removed.append(revision)
    for name in rel.leftovers(releases_dir):
        rel.remove_tree(os.path.join(releases_dir, name))
    return removed


def rollback(module, host, app, owned_types, unit_dir, release_p, code_file, versions_file,
             base_port, checks, max_unavailable, upstreams=None):
    """Point `current` at the previous release (or release_p's rollback_to), record it as
    the app's code (stamp and versions history), and restart the running instances into
    it as state restart does: rolling behind the health checks."""
    root = release_p["root"]
    releases_dir = os.path.join(root, rel.RELEASES)
    was = rel.current_revision(root)
    if was is None:
        module.fail_json(msg="%s has no current release in %s (deploy with procfile_source "
                             "first): nothing to roll back. Nothing was changed." % (app, root))
    releases = rel.complete_releases(releases_dir)
    wanted = release_p.get("rollback_to") or ""
    history = read_history(versions_file) if versions_file else []
    if wanted:
        problem = rel.revision_error(wanted)
        if problem or wanted not in releases:
            module.fail_json(msg="procfile_rollback_to %s: no such release on this host (it has: %s). "
                                 "Nothing was changed." % (wanted, ", ".join(sorted(releases)) or "none"))
        target = wanted
    else:
        target = rel.previous_release(history, was, releases)
        if target is None:
            module.fail_json(msg="%s has no previous release on this host to roll back to (it has: "
                                 "%s, the current one). Nothing was changed."
                                 % (app, ", ".join(sorted(releases)) or "none"))
    if target == was:
        return dict(changed=False, release=dict(previous=was, current=target), restart=[],
                    msg="%s: already on release %s" % (app, target))
    result = dict(changed=True, release=dict(previous=was, current=target),
                  msg="%s: rolled back from release %s to %s" % (app, was, target))
    if module._diff:
        result["diff"] = dict(before_header=os.path.join(root, rel.CURRENT),
                              after_header=os.path.join(root, rel.CURRENT),
                              before="current -> %s/%s\n" % (rel.RELEASES, was),
                              after="current -> %s/%s\n" % (rel.RELEASES, target))
    if module.check_mode:
        result["msg"] = "%s: would roll back from release %s to %s" % (app, was, target)
        return result
    rel.switch_current(root, target)
    # The code stamp: instances started before it are stale, and the next deploy of the
    # newer revision is a new revision again (it restarts them, without a release phase:
    # that release's fingerprint is still the one recorded).
    if code_file:
        write_atomic(code_file, target + "\n", 0o600)
    if versions_file:
        text = appended(history, target, time.time())
        if text:
            write_atomic(versions_file, text, 0o600)
    restarted = restart(module, host, app, owned_types, unit_dir, [], base_port, checks,
                        max_unavailable, upstreams)
    restarted.update(changed=True, release=result["release"],
                     msg="%s; %s" % (result["msg"], restarted["msg"]))
    if "diff" in result:
        restarted["diff"] = result["diff"]
    return restarted
