# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install of a deploy (module procfile_install), in one call per host: under the
app's lock, the account, the directories, the environment file and every unit file,
each unit verified with systemd-analyze before the first write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.procfile.systemd.plugins.module_utils.accounts import (
    AccountRefused,
    create_account,
    home_plan,
    plan_account,
)
from ansible_collections.procfile.systemd.plugins.module_utils.files import (
    env_names_diff,
    needs_write,
    owner_ids,
    read_bytes,
    read_exact,
    read_text,
    sha1,
    verify_units,
    write_atomic,
)
from ansible_collections.procfile.systemd.plugins.module_utils.schedules import calendar_problems
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    ensure_dir,
    inspect_dir,
)
from ansible_collections.procfile.systemd.plugins.module_utils.versions import (
    app_version,
    appended,
    current,
    read_history,
)


def code_change(code_file, revision, copied, now=None):
    """(why the app's code changed since its instances were last told of it or None,
    the code stamp's text after this run).

    CODE_FILE records the revision the instances were (re)started for, and when code was
    last copied; COPIED says this run copied changed code, whatever the revision. The
    stamp's text is part of the release fingerprint: copied code runs the release too."""
    if not code_file:
        return None, revision or ""
    # Only the final newline goes: a stamp of copied code without a revision starts with
    # an empty line, which must read back the same (it is part of the fingerprint).
    recorded = (read_exact(code_file) or "").rstrip("\n")
    recorded_revision = recorded.split("\n", 1)[0]
    if revision and revision != recorded_revision:
        return ("new revision %s, was %s" % (revision, recorded_revision) if recorded_revision
                else "new revision %s" % revision), revision
    if copied:
        return "its code was copied anew", "%s\ncopied at %d" % (
            revision or recorded_revision, int(now if now is not None else time.time()))
    # No revision given (e.g. a run that only scales): the recorded code still stands.
    return None, recorded or revision or ""


def install(module, host, app, types, p, lock=None):
    """Account, directories, unit files and environment file, verified before any write."""
    # A scheduled type's units in a limited run (keep_only): only where its timer is.
    files = [f for f in p["files"] if not f.get("keep_only") or os.path.exists(f["keep_only"])]
    env_file, env_content = p["env_file"], p["env_content"]
    changed_files = [f for f in files if needs_write(f["path"], f["content"], 0o644)]
    # A timer is verified with the service it starts (systemd-analyze loads both).
    changed_types = set(f["type"] for f in changed_files if f.get("scheduled"))
    verified = changed_files + [f for f in files if f.get("scheduled") and f["type"] in changed_types
                                and f not in changed_files]
    extra = [dict(path=f["path"], content=f["content"], mode=int(str(f.get("mode") or "0600"), 8))
             for f in p.get("extra_files") or []]
    changed_extra = [f for f in extra if needs_write(f["path"], f["content"], f["mode"])]
    env_changed = env_content is not None and needs_write(env_file, env_content, 0o600)
    absent = [path for path in p["absent"] if os.path.lexists(path)]
    calendars = calendar_problems(module, changed_files)
    if calendars:
        module.fail_json(msg="; ".join(calendars) + ". Nothing was changed on this host.",
                         problems=calendars)
    problems = verify_units(module, dict((os.path.basename(f["path"]), f["content"])
                                         for f in verified))
    if problems:
        module.fail_json(msg="systemd-analyze verify found problems in the rendered unit(s); "
                             "nothing was changed on this host:\n" + "\n".join(
                                 "%s:\n%s" % (name, text) for name, text in sorted(problems.items())),
                         problems=problems)
    account = p["account"] or {}
    user, group = account.get("user", "root"), account.get("group", "root")
    try:
        plan = plan_account(app, user, group, bool(account.get("create")),
                            user_named=account.get("user_named", True),
                            group_named=account.get("group_named", True))
        group_missing = plan["group_missing"] or plan["user_group"]
        user_missing = plan["user_missing"]
        home = home_plan(account.get("home"), p["root"], user, user_missing)
    except AccountRefused as exc:
        module.fail_json(msg="%s. Nothing was changed on this host." % exc)
    # Recorded once made, so that --tags remove deletes this home and no other.
    home_record = p.get("home_record") if home and user_missing else None
    # Root-only directories (the environment file's, the state's) must be where only
    # root can change them; the app's writable directories may be under the app's own,
    # but are never reached through a link it could have planted (see safepath).
    dirs = ([dict(path=d, owner="root", group="root", mode=0o700, trusted_parents=True,
                  what="root-only directory %s" % d) for d in p["root_dirs"]]
            + [dict(path=d, owner=user, group=group, mode=0o750, trusted_parents=False,
                    what="procfile_writable_dirs entry %s" % d) for d in p["writable_dirs"]]
            # The home of the account: the app's own, never reached through its links.
            + ([dict(path=home, owner=user, group=group, mode=0o750, trusted_parents=False,
                     what="procfile_home %s" % home)] if home else []))
    for d in dirs:
        owner, owner_group, mode = d["owner"], d["group"], d["mode"]
        created = (group_missing and owner_group == group) or (user_missing and owner == user)
        try:
            # Its owner is created by this run: the directory changes owner (or is new).
            uid, gid = (-1, -1) if created else owner_ids(owner, owner_group)
        except KeyError:
            module.fail_json(msg="%s cannot be owned by %s:%s: no such user or group on this host "
                                 "(create it, or set procfile_create_user: true)"
                                 % (d["path"], owner, owner_group))
        try:
            d["changing"] = inspect_dir(d["path"], uid, gid, mode, what=d["what"],
                                        trusted_parents=d["trusted_parents"]) or created
        except UnsafePath as exc:
            module.fail_json(msg="%s. Nothing was changed on this host." % exc)
        except OSError as exc:
            module.fail_json(msg="%s: %s. Nothing was changed on this host."
                                 % (d["what"], exc.strerror or exc))
    code, code_text = code_change(p["code_file"], p["revision"], p["code_changed"])
    fingerprint = sha1(" ".join([sha1(f["content"]) for f in files]
                                + [sha1(env_content or ""), code_text]))
    released = read_text(p["fingerprint_file"])
    # The history of versions (procfile_status's VERSION column) follows the fingerprint
    # and the stamp, never the other way: it decides no restart and no release.
    version = app_version(code_text, fingerprint)
    versions_file = p.get("versions_file")
    history = read_history(versions_file) if versions_file else []
    version_due = bool(versions_file) and version != current(history)
    reasons = {}
    for f in changed_files:
        if f.get("type") in types:
            reasons[f["type"]] = ["its unit changed"]
    for t in types:
        if env_changed:
            reasons.setdefault(t, []).append("the environment changed")
        if code:
            reasons.setdefault(t, []).append(code)
    restart_types = [t for t in types if t in reasons]
    result = dict(
        changed=bool(changed_files or changed_extra or env_changed or absent or group_missing
                     or user_missing or code or version_due or any(d["changing"] for d in dirs)),
        files_changed=[f["path"] for f in changed_files + changed_extra], env_changed=env_changed,
        removed=absent, restart_types=restart_types, fingerprint=fingerprint,
        restart_reasons=dict((t, "; ".join(r)) for t, r in reasons.items()),
        code_changed=bool(code), version=version,
        released_fingerprint=released, release_due=fingerprint != released,
        created_group=group if group_missing else None, created_user=user if user_missing else None,
        acquired=lock is not None, lock=lock)
    if module._diff:
        diffs = []
        for f in changed_files + changed_extra:
            old = read_bytes(f["path"])
            diffs.append(dict(before_header=f["path"], after_header=f["path"],
                              before=old.decode("utf-8", "replace") if old is not None else "",
                              after=f["content"]))
        for path in absent:
            diffs.append(dict(before_header=path, after_header="(removed)",
                              before=(read_bytes(path) or b"").decode("utf-8", "replace"), after=""))
        if env_changed:
            old = read_bytes(env_file)
            before, after = env_names_diff(old.decode("utf-8", "replace") if old else "", env_content)
            diffs.append(dict(before_header=env_file + " (values not shown)",
                              after_header=env_file + " (values not shown)",
                              before=before, after=after))
        if version_due:
            diffs.append(dict(before_header=versions_file, after_header=versions_file,
                              before="version %s\n" % current(history) if history else "",
                              after="version %s\n" % version))
        result["diff"] = diffs
    if module.check_mode:
        return result

    create_account(module, app, user, group, home or p["root"] or "/", plan)
    for d in dirs:
        if d["changing"]:
            uid, gid = owner_ids(d["owner"], d["group"])
            try:
                ensure_dir(d["path"], uid, gid, d["mode"], what=d["what"],
                           trusted_parents=d["trusted_parents"])
            except UnsafePath as exc:
                # Swapped since the check above: refused all the same, through nothing.
                module.fail_json(msg="%s. The deploy stopped here." % exc)
            except OSError as exc:
                module.fail_json(msg="%s: %s. The deploy stopped here."
                                     % (d["what"], exc.strerror or exc))
    if home_record:
        write_atomic(home_record, home + "\n", 0o600)
    # The environment first: a unit is never installed before the file it reads.
    if env_changed:
        write_atomic(env_file, env_content, 0o600)
    for f in changed_files:
        write_atomic(f["path"], f["content"], 0o644)
    for f in changed_extra:
        write_atomic(f["path"], f["content"], f["mode"])
    for path in absent:
        os.remove(path)
    if code:
        # The stamp's new mtime makes every instance started before it stale (apply
        # restarts them after the release); rewritten even when the text is the same.
        write_atomic(p["code_file"], code_text + "\n", 0o600)
    if version_due:
        # After the stamp: an instance that started before this entry started before the
        # stamp changed too (the same instance is old in procfile_status).
        write_atomic(versions_file, appended(history, version, time.time()), 0o600)
    if changed_files or absent:
        host.run("daemon-reload")
    return result
