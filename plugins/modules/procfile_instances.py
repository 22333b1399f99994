#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_instances
short_description: Scale an app's systemd template instances in one call per host
version_added: "0.1.0"
description:
  - Reads which instances of an app's process types a host has (from systemd itself),
    numbers the wanted instances (their C(UNIQUE_INT)) and starts, stops, enables,
    disables and restarts them with one C(systemctl) call per kind of action, so that
    the cost per host does not grow with the number of instances.
  - Only touches units whose files carry this app's ownership marker
    (C(X-ProcfileApp=<app>)); units of other apps, or written by hand, are never
    stopped, disabled or removed, and a unit name another app already owns is refused.
  - Instance numbers are unique across all of the app's types on the host and stable.
    New instances take the lowest free numbers; scaling down removes a type's highest.
  - This module is the engine of the M(procfile.systemd.procfile) role; it renders no
    unit files itself and installs none (M(procfile.systemd.procfile_install) does, first).
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  state:
    description:
      - What to do; one function each. Installing the files is
        M(procfile.systemd.procfile_install)'s, before; reading the status is
        M(procfile.systemd.procfile_status)'s.
      - V(apply) brings the instances in line with O(counts). It stops and disables surplus
        ones (all those of a type no longer in O(types), whose template it removes),
        enables and starts missing ones, restarts those of O(restart) and those that
        started before their unit or environment changed, runs O(health_checks), records
        O(fingerprint) and gives the lock back (O(unlock)).
      - V(pause) stops and disables every instance and records them in O(state_file)
        (a second pause keeps the first record); V(resume) enables and starts exactly the
        recorded instances and removes the record; while a record exists, V(apply)
        updates nothing but units and starts nothing.
      - V(restart) restarts the running instances (of the types in O(restart), or all).
      - V(rollback) points O(release)'s C(current) link at the previous release (the one
        the versions history in O(versions_file) had before the current one, that is still
        complete on the host) or at O(release)'s C(rollback_to), records that revision in
        O(code_file) and O(versions_file), and restarts the running instances as
        V(restart) does. Refused, changing nothing, when there is no such release.
      - V(pause), V(resume) and V(restart) work on the types the host has; O(types) is
        not used.
    type: str
    choices: [apply, pause, resume, restart, rollback]
    required: true
  restart:
    description:
      - Types whose running instances are restarted (their unit, the environment or the
        code changed; RV(procfile.systemd.procfile_install#module:restart_types)). With O(state=restart), the
        types (C(worker)) or single instances in the dyno form (C(worker.2)) to restart
        (all when empty); a name the host does not have fails, naming what it has.
    type: list
    elements: str
    default: []
  restart_reasons:
    description: Per type in O(restart), why it restarts (RV(procfile.systemd.procfile_install#module:restart_reasons)).
    type: dict
    default: {}
  max_unavailable:
    description:
      - With O(state=apply) or O(state=restart), per process type (C(*) for the types not
        named), how many of its instances on this host may be down at once while they
        restart - a number, or a percentage of them such as C(25%) (rounded down, at
        least one). Unset, a type with a health check restarts one instance at a time,
        each batch waiting for its check before the next stops; a type without one
        restarts all at once. A batch that fails its check stops the roll; the later
        batches keep running.
    type: dict
    default: {}
  code_file:
    description:
      - The app's code stamp (see M(procfile.systemd.procfile_install)). Every running
        instance started before the stamp's last change restarts in O(state=apply) - after
        the release phase, which runs between the install and this.
    type: path
  upstreams:
    description:
      - Per process type, a front proxy's list of its live instances to keep in step
        (C(path), C(format) V(nginx) or V(haproxy), C(name), C(reload) unit). In
        O(state=apply) and O(state=restart), an instance leaves the list (the proxy
        checked and reloaded) before it stops and joins once it answers its health
        check; a rolling restart does so batch by batch. A failed check or reload puts
        the previous file back and fails. Every state refuses a file whose directory
        someone other than root could change.
    type: dict
    default: {}
  env_file:
    description:
      - The app's EnvironmentFile. A running instance that started before this file, or
        its template unit, last changed is restarted in O(state=apply), so that a run
        interrupted after writing files still converges on the next run.
    type: path
  fingerprint_file:
    description:
      - Where the fingerprint of the last successful release is kept. O(state=apply)
        writes O(fingerprint) there once everything is applied.
    type: path
  fingerprint:
    description:
      - The fingerprint to record in O(fingerprint_file) after applying
        (RV(procfile.systemd.procfile_install#module:fingerprint)).
    type: str
  health_checks:
    description:
      - With O(state=apply) or O(state=restart), per process type, its check (C(path),
        C(timeout), C(status)); C(*) for the types not named, null for none. After
        instances were started or restarted, wait until every instance of those types
        answers HTTP on C(127.0.0.1:PORT) (see M(procfile.systemd.procfile_health)); fail
        if one does not. O(state=restart) takes PORT's base from the installed units.
    type: dict
    default: {}
  release:
    description:
      - Releases of the app's code (C(procfile_source)), as C(root) (C(procfile_root)),
        C(revision) and C(keep) for O(state=apply), C(root) and C(rollback_to) (a revision,
        or empty for the previous one) for O(state=rollback).
      - With O(state=apply), C(root)C(/current) is switched to C(releases/<revision>) (a
        new link renamed over the old one) before any instance starts, and every running
        instance restarts into it, rolling where the type rolls; instances not restarted
        yet keep the release they started in. Once everything is applied, the releases
        beyond the C(keep) most recently used are removed, never the current one nor one
        that a process works in.
    type: dict
  versions_file:
    description: With O(state=rollback), the app's versions history, which gets the revision rolled back to.
    type: path
  unlock:
    description:
      - With O(state=apply), the C(token) and C(nonce) of this run's lock
        (M(procfile.systemd.procfile_lock)), given back once everything is applied.
      - The other states take the lock themselves with O(lock_owner), for the whole call,
        and give it back however the call ends; O(state=apply) refuses O(lock_owner).
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes
  - procfile.systemd.app
  - procfile.systemd.app.units
  - procfile.systemd.app.plan
  - procfile.systemd.lock
  - procfile.systemd.lock.dir
attributes:
  diff_mode:
    details:
      - Shows the instances per type before and after.
notes:
  - With O(state=apply), the unit names and ports are checked against the host's other
    apps again, as M(procfile.systemd.procfile_install) checks them; a clash fails with
    the keys that module documents,
    RV(procfile.systemd.procfile_install#module:conflict) and
    RV(procfile.systemd.procfile_install#module:owner), or
    RV(procfile.systemd.procfile_install#module:ports) and
    RV(procfile.systemd.procfile_install#module:other_app).
"""

EXAMPLES = r"""
# As the procfile.systemd.procfile role calls it (roles/procfile/tasks/scale.yml and
# pause.yml), after procfile.systemd.procfile_install registered __procfile_install.
- name: Start, stop and restart instances, then give the lock back
  procfile.systemd.procfile_instances:
    state: apply
    app: shop
    types: [web, worker]
    counts: {web: 2, worker: 3}
    restart: "{{ __procfile_install.restart_types }}"
    restart_reasons: "{{ __procfile_install.restart_reasons }}"
    fingerprint_file: /var/lib/procfile-systemd/shop/released
    fingerprint: "{{ __procfile_install.fingerprint }}"
    max_unavailable: {web: 1}
    health_checks: {web: {path: /health, timeout: 60}, worker: null}
    unlock:
      token: "{{ lookup('procfile.systemd.controller_run').token }}"
      nonce: "{{ __procfile_install.lock.nonce }}"

- name: Pause every instance of the app (resume with state resume)
  procfile.systemd.procfile_instances:
    state: pause
    app: shop
    state_file: /var/lib/procfile-systemd/shop/paused.json
"""

RETURN = r"""
acquired:
  description: With O(lock_owner), whether this run took the app's lock (false, another run holds it).
  returned: with O(lock_owner)
  type: bool
holder:
  description: The run that holds the app's lock, when it is not this one.
  returned: when RV(acquired) is false
  type: dict
holder_description:
  description: Who holds the lock, in words (controller, user, C(ansible-playbook) PID).
  returned: when RV(acquired) is false
  type: str
instances:
  description: Instance numbers per type after the run (or that the run would leave).
  returned: with state=apply
  type: dict
  sample: {web: [1, 2], worker: [3, 4, 5]}
before:
  description: Instance numbers per type on the host (enabled, or running without being enabled).
  returned: with state=apply
  type: dict
  sample: {web: [1, 2], worker: [3]}
start:
  description: Instance units started (or to be started).
  returned: with state=apply or resume
  type: list
  elements: str
stop:
  description: Instance units stopped and disabled (or to be).
  returned: with state=apply or pause
  type: list
  elements: str
restart:
  description: Instance units restarted (or to be).
  returned: with state=apply or restart
  type: list
  elements: str
removed_types:
  description: Process types whose templates are removed (no longer in the Procfile).
  returned: with state=apply
  type: list
  elements: str
units:
  description: Every instance unit wanted, by type.
  returned: with state=apply
  type: dict
unlocked_nonce:
  description: With O(unlock), the nonce of the lock that was given back (null if it was not).
  returned: with state=apply and unlock
  type: str
healthy:
  description: With O(health_checks), the instances that answered.
  returned: when instances were health-checked
  type: list
  elements: dict
restart_reasons:
  description:
    - Per type of RV(restart), why its instances restart (for example C(new revision b2,
      was a1)).
  returned: with state=apply
  type: dict
rounds:
  description: How many rounds the rolling restart took (see O(max_unavailable)).
  returned: when instances were restarted
  type: int
upstream_files:
  description: The front-proxy upstream files that changed (or would, in check mode).
  returned: with state=apply or restart
  type: list
  elements: str
upstream_files_removed:
  description:
    - The upstream files of types that left the Procfile, removed after their instances
      stopped (a file the proxy's configuration still needs stays, empty, with a warning).
  returned: with state=apply, when the run got that far
  type: list
  elements: str
release:
  description: The release C(current) names after the run (C(current)) and the one it named before (C(previous)).
  returned: when O(release) switched it (or would), and with state=rollback
  type: dict
  sample: {previous: 9d0e7b3a1c2f, current: 4f2a9c1b0d3e}
releases_removed:
  description: The releases removed by O(release)'s C(keep).
  returned: with state=apply and O(release)
  type: list
  elements: str
problems:
  description: The upstream files refused (someone other than root could change their directory).
  returned: when an upstream file is refused
  type: list
  elements: str
not_restarted:
  description: When a rolling restart stopped at a failed health check, the instances it did not restart.
  returned: when a health check failed
  type: list
  elements: str
released_fingerprint:
  description: The content of O(fingerprint_file), or an empty string.
  returned: with state=apply
  type: str
unhealthy:
  description: The instances that failed their health check, with URL, last answer and unit state.
  returned: when a health check failed
  type: list
  elements: dict
record:
  description: "The pause record, C({type: [instance numbers]})."
  returned: with state=pause or resume
  type: dict
paused:
  description: Whether the app is paused on the host (after the run).
  returned: always
  type: bool
msg:
  description: What happened, in a sentence.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.app_module import (
    LOCK,
    PLAN,
    argument_spec,
    checked_app,
    on_host,
)
from ansible_collections.procfile.systemd.plugins.module_utils.app_states import (
    apply,
    pause,
    restart,
    resume,
    rollback,
)
from ansible_collections.procfile.systemd.plugins.module_utils.lock import lock_path, release
from ansible_collections.procfile.systemd.plugins.module_utils.lock import take as take_lock


def _installed(owned, app):
    """APP's units on the host (instances.scan_owned_units), and its types there."""
    mine = owned.get(app, {"templates": {}, "target": None})
    return mine, sorted(mine["templates"])


def _apply(module, host, app, p, owned):
    return apply(module, host, app, p["types"], p, owned)


def _timers(owned, app):
    """The scheduled types whose timer the host has."""
    return sorted(t for t, files in owned.get(app, {}).get("scheduled", {}).items() if "timer" in files)


def _pause(module, host, app, p, owned):
    return pause(module, host, app, _installed(owned, app)[1], p["unit_dir"], p["state_file"],
                 _timers(owned, app))


def _resume(module, host, app, p, owned):
    return resume(module, host, app, _installed(owned, app)[1], p["unit_dir"], p["state_file"],
                  _timers(owned, app))


def _restart(module, host, app, p, owned):
    mine, types = _installed(owned, app)
    # The port base the units were installed with (their marker), not a default.
    return restart(module, host, app, types, p["unit_dir"], p["restart"],
                   mine.get("base_port") or p["base_port"], p["health_checks"],
                   p["max_unavailable"], p["upstreams"])


def _rollback(module, host, app, p, owned):
    mine, types = _installed(owned, app)
    if not p["release"] or not p["release"].get("root"):
        module.fail_json(msg="state rollback needs release.root (procfile_root)")
    return rollback(module, host, app, types, p["unit_dir"], p["release"], p["code_file"],
                    p["versions_file"], mine.get("base_port") or p["base_port"], p["health_checks"],
                    p["max_unavailable"], p["upstreams"])


# One function per state (the option's choices, in this order); each returns the result.
STATES = dict(apply=_apply, pause=_pause, resume=_resume, restart=_restart, rollback=_rollback)


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(
            PLAN, LOCK,
            state=dict(type="str", required=True, choices=list(STATES)),
            health_checks=dict(type="dict", default={}),
            unlock=dict(type="dict"),
            restart=dict(type="list", elements="str", default=[]),
            restart_reasons=dict(type="dict", default={}),
            max_unavailable=dict(type="dict", default={}),
            code_file=dict(type="path"),
            upstreams=dict(type="dict", default={}),
            env_file=dict(type="path"),
            fingerprint_file=dict(type="path"),
            fingerprint=dict(type="str"),
            release=dict(type="dict"),
            versions_file=dict(type="path"),
        ),
        required_if=[("state", "pause", ["state_file"]), ("state", "resume", ["state_file"])],
        supports_check_mode=True,
    )
    p = module.params
    app = checked_app(module)
    if p["lock_owner"] and p["state"] == "apply":
        module.fail_json(msg="state apply gives back the lock a deploy's install took (unlock); "
                             "it does not take one (lock_owner)")
    lock = None
    if p["lock_owner"]:
        # The operation's whole run under the app's lock, given back however it ends.
        lock, refused = take_lock(module, app, p)
        if refused:
            module.exit_json(**refused)
    try:
        host, owned = on_host(module, app)
        result = STATES[p["state"]](module, host, app, p, owned)
        if lock:
            result.update(acquired=True, lock=lock)
    finally:
        if lock:
            release(lock_path(p["lock_dir"], app), lock.get("token"), dry_run=module.check_mode,
                    nonce=lock.get("nonce"), guard_held=not module.check_mode)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
