#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_trust
short_description: Check that only root can change a directory tree before root writes into it
version_added: "0.1.0"
description:
  - Fails unless O(path), every directory above it and every directory below it can be
    changed by root alone (root-owned, not writable by group or others, or sticky), and no
    link on the way or inside was made by another user. O(path) need not exist yet.
  - A link inside that root made is followed, as a copy would follow it; where it leads
    (its directory and the tree below it) must be root's alone too.
  - Run it before a step that writes into O(path) as root and follows paths there, such
    as M(ansible.builtin.copy) of a whole directory. A user who could change a directory
    in the tree could swap it for a link and make root write elsewhere (C(/etc/cron.d)).
  - "Only reads: it never changes anything."
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  path:
    description: The directory tree, absolute.
    type: path
    required: true
  what:
    description: How to name O(path) in messages, for example V(procfile_root).
    type: str
    default: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes.read_only
"""

EXAMPLES = r"""
- name: Check that only root can change the app's directory before copying into it as root
  procfile.systemd.procfile_trust:
    path: /srv/shop
    what: procfile_root
"""

RETURN = r"""
exists:
  description: Whether O(path) exists.
  returned: success
  type: bool
directories:
  description: How many directories were checked below O(path) (itself included).
  returned: success
  type: int
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    open_dir,
    only_root_can_write,
    who_can_write,
)
from ansible_collections.procfile.systemd.plugins.module_utils.paths import normalized_path_errors


def tree_problem(fd, top, seen=None):
    """The first directory or link below the open directory FD that another user could
    change, in words, or None. A root's link is followed (a copy as root follows it too):
    where it leads must be root's alone as well, or the app could change what root writes
    through it. SEEN: the directories already walked (links may loop)."""
    count = 0
    seen = set() if seen is None else seen
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(".", dir_fd=fd, follow_symlinks=False):
        count += 1
        where = os.path.normpath(os.path.join(top, dirpath))
        st = os.fstat(dir_fd)
        seen.add((st.st_dev, st.st_ino))
        if not only_root_can_write(st):
            return "%s can be changed by %s" % (where, who_can_write(st)), count
        for name in dirnames + filenames:
            entry = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if not stat.S_ISLNK(entry.st_mode):
                continue
            if entry.st_uid != 0:
                return "%s/%s is a symbolic link made by uid %d" % (where, name, entry.st_uid), count
            problem, more = link_problem(dir_fd, name, where, seen)
            count += more
            if problem:
                return problem, count
    return None, count


def link_problem(dir_fd, name, where, seen):
    """Where root's link NAME (in directory WHERE, open at DIR_FD) leads, checked as the
    tree is: (problem in words or None, directories walked)."""
    link = "%s/%s" % (where, name)
    target = os.readlink(name, dir_fd=dir_fd)
    absolute = os.path.normpath(target if target.startswith("/") else os.path.join(where, target))
    parent, leaf = os.path.split(absolute)
    try:
        parent_fd = open_dir(parent, what="%s (a link to %s)" % (link, target),
                             trusted_parents=True, leaf_link_ok=True)
    except UnsafePath as exc:
        return str(exc), 0
    if parent_fd is None:
        return None, 0  # leads nowhere: nothing is written through it
    try:
        st = os.fstat(parent_fd)
        if not only_root_can_write(st):
            return "%s is a link to %s, in %s, which %s can change" % (
                link, target, parent, who_can_write(st)), 0
        if not leaf:
            return None, 0
        try:
            entry = os.stat(leaf, dir_fd=parent_fd, follow_symlinks=False)
        except OSError:
            return None, 0
        if stat.S_ISLNK(entry.st_mode):
            if entry.st_uid != 0:
                return "%s leads to %s, a symbolic link made by uid %d" % (
                    link, absolute, entry.st_uid), 0
            return link_problem(parent_fd, leaf, parent, seen)
        if not stat.S_ISDIR(entry.st_mode) or (entry.st_dev, entry.st_ino) in seen:
            return None, 0
        fd = os.open(leaf, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
        try:
            problem, count = tree_problem(fd, absolute, seen)
        finally:
            os.close(fd)
        return (("%s (through the link %s)" % (problem, link)) if problem else None), count
    finally:
        os.close(parent_fd)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type="path", required=True),
                           what=dict(type="str", default="path")),
        supports_check_mode=True,
    )
    path, what = module.params["path"], module.params["what"]
    # Checked here too: deploy.yml copies into the path right after this module, before
    # the role's own checks run (a line break once made directories named after it).
    errors = normalized_path_errors(what, path)
    if errors:
        module.fail_json(msg="; ".join(errors) + ". Nothing was changed on this host.")
    label = "%s %s" % (what, path)
    try:
        fd = open_dir(path, what=label, trusted_parents=True, leaf_link_ok=True)
    except UnsafePath as exc:
        module.fail_json(msg="%s; root writes there, so only root may be able to change it"
                         % exc)
    if fd is None:
        module.exit_json(changed=False, exists=False, directories=0)
    try:
        problem, count = tree_problem(fd, path)
    finally:
        os.close(fd)
    if problem:
        module.fail_json(msg="%s: %s. Root writes into this tree, so only root may be able to "
                             "change it: keep directories the app writes "
                             "(procfile_writable_dirs) outside it." % (label, problem))
    module.exit_json(changed=False, exists=True, directories=count)


def main():
    run_module()


if __name__ == "__main__":
    main()
