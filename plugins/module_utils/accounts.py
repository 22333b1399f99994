# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's account, group and home: what a deploy may create, and what it must refuse.

An account's name is the app's unless procfile_user names one. A name alone must never
hand the app powers it was not given on purpose:

- a new account never joins a group that exists already (an app called ``disk`` would
  otherwise get the group ``disk``, raw access to every block device: root);
- an existing account is used only when procfile_user names it, or when this collection
  created it for this app (its comment says so);
- an existing directory never becomes a new account's home (an app ``dpkg`` would take
  ``/var/lib/dpkg``), and ``--tags remove`` deletes only a home that a deploy made and
  recorded (see HOME_RECORD).

useradd itself refuses a new user whose group exists ("group disk exists"); the role's
old groupadd-then-useradd went around that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

ACCOUNT_COMMENT = "procfile.systemd app %s"
# In the app's root-only state directory: the home a deploy created for the account it
# created, so that a removal deletes that home and no other.
HOME_RECORD = "home-created"


class AccountRefused(Exception):
    """The account, group or home cannot be what the variables ask, and why."""


def _group(name):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def _user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _describe_group(entry):
    members = ", ".join(entry.gr_mem) if entry.gr_mem else "no other members"
    return "gid %d, %s" % (entry.gr_gid, members)


def created_by_us(entry, app):
    """Whether passwd ENTRY is an account this collection created for APP."""
    return entry is not None and entry.pw_uid != 0 and entry.pw_gecos == ACCOUNT_COMMENT % app


def plan_account(app, user, group, create, user_named=True, group_named=True):
    """What a deploy creates of the app's account: a dict with group_missing, user_missing
    and user_group (the group is made with the user, by useradd --user-group).

    USER_NAMED / GROUP_NAMED: procfile_user / procfile_group were set (an existing account
    or group named there is used on purpose). Raises AccountRefused, before any change."""
    plan = dict(group_missing=False, user_missing=False, user_group=False)
    if not create:
        return plan
    user_entry = _user(user)
    group_entry = _group(group)
    if user_entry is not None:
        if user != "root" and not user_named and not created_by_us(user_entry, app):
            raise AccountRefused(
                "procfile_user is not set, so app %s would run as the account named after it, "
                "%s, which exists already (uid %d, %r) and was not created by procfile.systemd "
                "for this app: the app would get its files, groups and home. To run as it on "
                "purpose, set procfile_user: %s; otherwise choose another name with "
                "procfile_user" % (app, user, user_entry.pw_uid, user_entry.pw_gecos, user))
        # A group that does not exist is made; an existing one is the account's own or named.
        plan["group_missing"] = group_entry is None and group != "root"
        return plan
    if user == "root":
        # Never created, by name, even where the account databases lack it.
        plan["group_missing"] = group_entry is None and group != "root"
        return plan
    plan["user_missing"] = True
    if group_entry is not None and not group_named:
        raise AccountRefused(
            "the new account %s would join the existing group %s (%s) and with it whatever "
            "that group may do (group disk reads every disk, docker is root). Choose its group "
            "on purpose with procfile_group, or another account name with procfile_user"
            % (user, group, _describe_group(group_entry)))
    if group_entry is None:
        if group == user:
            plan["user_group"] = True
        else:
            plan["group_missing"] = group != "root"
    return plan


def create_account(module, app, user, group, home, plan):
    """Create what PLAN (plan_account) says is missing: a system account without a login
    shell or a home made by useradd (the deploy makes the home itself, see home_plan)."""
    if plan["group_missing"]:
        module.run_command([module.get_bin_path("groupadd", required=True), "--system", group],
                           check_rc=True)
    if plan["user_missing"]:
        group_args = ["--user-group"] if plan["user_group"] else ["--gid", group]
        module.run_command([module.get_bin_path("useradd", required=True), "--system"]
                           + group_args + ["--home-dir", home, "--no-create-home",
                                           "--shell", "/usr/sbin/nologin",
                                           "--comment", ACCOUNT_COMMENT % app, user],
                           check_rc=True)


def _owner(st):
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return "%s:%s" % (user, group)


def home_plan(home, root, user, user_missing):
    """The home directory the deploy makes for the app's user (owned by it, mode 0750),
    or None.

    A user this run creates gets HOME (procfile_home), outside procfile_root (the app's
    code is root's), and only when nothing is there yet: an existing directory is never
    taken over. An existing user keeps its own home; HOME is made for it only when it is
    that user's home and missing (a run stopped between creating the user and its home).
    Raises AccountRefused."""
    if not home:
        return None
    if user_missing:
        normal = os.path.normpath(home)
        if not os.path.isabs(home) or normal != home.rstrip("/") or normal == "/":
            raise AccountRefused("procfile_home %r must be an absolute, normalized path other "
                                 "than /, e.g. /var/lib/<app>" % home)
        if root and (normal == os.path.normpath(root)
                     or normal.startswith(os.path.normpath(root).rstrip("/") + "/")):
            raise AccountRefused("procfile_home %s is inside procfile_root %s, which only root "
                                 "may change: give the app's user a home of its own outside "
                                 "it, e.g. /var/lib/<app>" % (home, root))
        try:
            st = os.lstat(normal)
        except OSError:
            return normal
        raise AccountRefused(
            "procfile_home %s exists already (%s, owner %s, mode %04o) and was not made by "
            "procfile.systemd for the new account %s: refusing to hand it over. Choose "
            "another home with procfile_home, or move that directory away"
            % (normal, "a directory" if stat.S_ISDIR(st.st_mode) else "not a directory",
               _owner(st), st.st_mode & 0o7777, user))
    entry = _user(user)
    if entry is None:
        return None
    if os.path.normpath(entry.pw_dir or "/") == os.path.normpath(home) and not os.path.lexists(home):
        return os.path.normpath(home)
    return None


def recorded_home(state_dir):
    """The home a deploy recorded as made by it (HOME_RECORD in STATE_DIR), or None."""
    try:
        with open(os.path.join(state_dir, HOME_RECORD), "rb") as handle:
            text = handle.read(4096).decode("utf-8", "replace").strip()
    except (IOError, OSError):
        return None
    return text or None


def give_to_root(fd, uid, gid):
    """Everything under the directory open at FD (itself included) owned by UID, or by
    group GID, becomes root's: files an account that is deleted leaves behind would belong
    to whichever account useradd gives that number next. Walked through descriptors,
    never following a link. Returns how many entries changed."""
    changed = 0

    def fix(st, chown):
        if st.st_uid == uid or st.st_gid == gid:
            chown(0 if st.st_uid == uid else -1, 0 if st.st_gid == gid else -1)
            return 1
        return 0

    changed += fix(os.fstat(fd), lambda u, g: os.fchown(fd, u, g))
    for _path, dirs, files, dirfd in os.fwalk(".", dir_fd=fd, follow_symlinks=False):
        for name in dirs + files:
            try:
                st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            except OSError:
                continue
            changed += fix(st, lambda u, g, name=name: os.chown(
                name, u, g, dir_fd=dirfd, follow_symlinks=False))
    return changed
