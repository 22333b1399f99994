#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: procfile_release
short_description: Make sure a release of an app's code is on the host, unpacked safely
version_added: "0.1.0"
description:
  - A release is O(root)C(/releases/<revision>/), owned by root, directories 0755 and
    files 0644 or 0755, complete once its marker file C(.procfile-release) exists.
  - Without O(archive), checks that O(root) and O(root)C(/releases) are directories only
    root can change (creating them, root-owned, when missing) and says whether the
    release is complete (RV(complete)), and where to send its archive if not (RV(incoming)).
  - With O(archive) (a C(.tar.gz) on the host), unpacks it into a fresh root-only
    directory, checks it, and renames that into place in one step; the archive is removed
    afterwards, also when it was refused.
  - "Refused, with nothing written: a member with an absolute name or a C(..) component, a
    link whose target is absolute or resolves outside the release, a hard link to anything
    but an earlier regular file of the archive, a member under a link or a file of the
    archive, a device, FIFO or socket, a set-user-ID or set-group-ID bit, two members of
    one name, and a member named C(.procfile-release). The message names the member and
    the rule. Group and other write and the sticky bit are dropped (modes 0644 or 0755)."
author:
  - procfile.systemd contributors (@procfile-systemd)
options:
  root:
    description: The app's directory (C(procfile_root)), absolute.
    type: path
    required: true
  revision:
    description: The release's revision, the name of its directory.
    type: str
    required: true
  archive:
    description: The archive to unpack, on the host (sent to RV(incoming)).
    type: path
  record:
    description: What to record in the release's marker besides its revision (the archive's C(sha256), C(files)).
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - procfile.systemd.attributes
attributes:
  diff_mode:
    details:
      - Names the release that would be unpacked.
"""

EXAMPLES = r"""
- name: Is the release there?
  procfile.systemd.procfile_release:
    root: /srv/shop
    revision: 4f2a9c1
  register: __release

- name: Send its archive
  ansible.builtin.copy:
    src: /home/me/.cache/procfile-systemd/archives/4f2a...tar.gz
    dest: "{{ __release.incoming }}"
    owner: root
    group: root
    mode: "0600"
  when: not __release.complete

- name: Unpack it
  procfile.systemd.procfile_release:
    root: /srv/shop
    revision: 4f2a9c1
    archive: "{{ __release.incoming }}"
  when: not __release.complete
"""

RETURN = r"""
complete:
  description: Whether the release was complete on the host before this call.
  returned: success
  type: bool
path:
  description: The release's directory.
  returned: success
  type: str
incoming:
  description: Where to send the archive (a root-only path beside the releases), when the release is not complete.
  returned: success
  type: str
members:
  description: How many members were unpacked.
  returned: when O(archive) was unpacked
  type: int
member:
  description: The member refused.
  returned: when the archive was refused
  type: str
rule:
  description: The rule it broke (C(absolute), C(dot-dot), C(link-outside), C(type), C(set-id), ...).
  returned: when the archive was refused
  type: str
"""

import os
import tarfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.procfile.systemd.plugins.module_utils import release as rel
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    only_root_can_write,
    open_dir,
    who_can_write,
)


def root_only_dir(module, path, what, create):
    """Whether PATH exists as a directory only root can change, reached only through
    directories only root can change; created root-owned 0755 when missing and CREATE."""
    try:
        fd = open_dir(path, create=create, what=what, trusted_parents=True, leaf_mode=0o755)
    except UnsafePath as exc:
        module.fail_json(msg="%s. Releases are unpacked as root; nothing was changed." % exc)
    except OSError as exc:
        module.fail_json(msg="%s: %s. Nothing was changed." % (what, exc.strerror or exc))
    if fd is None:
        return False
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not only_root_can_write(st):
        module.fail_json(msg="%s: %s can be changed by %s; releases are unpacked as root into a "
                             "directory only root can change (chown root:root and chmod go-w it, "
                             "and keep the app's data outside it). Nothing was changed."
                             % (what, path, who_can_write(st)))
    return True


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            revision=dict(type="str", required=True),
            archive=dict(type="path"),
            record=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    root, revision = p["root"].rstrip("/") or "/", p["revision"]
    problem = rel.revision_error(revision)
    if problem:
        module.fail_json(msg="procfile_revision: %s. Nothing was changed." % problem)
    releases_dir = os.path.join(root, rel.RELEASES)
    path = os.path.join(releases_dir, revision)
    create = not module.check_mode
    made = not os.path.isdir(root) or not os.path.isdir(releases_dir)
    exists = (root_only_dir(module, root, "procfile_root %s" % root, create)
              and root_only_dir(module, releases_dir, "%s" % releases_dir, create))
    complete = exists and rel.is_complete(releases_dir, revision)
    result = dict(changed=made and create, complete=complete, path=path,
                  incoming=os.path.join(releases_dir, "%s%s-%s.tar.gz" % (
                      rel.INCOMING_PREFIX, revision, os.urandom(6).hex())))
    if not complete and module.check_mode:
        module.warn("check mode: release %s is not on this host yet; the Procfile read is the "
                    "current release's" % revision)
    if not complete and (module.check_mode or not p["archive"]):
        # Check mode: the archive would be sent and unpacked.
        result["changed"] = result["changed"] or module.check_mode
        if module._diff:
            result["diff"] = dict(before_header=path, after_header=path, before="",
                                  after="release %s (unpacked from its archive)\n" % revision)
        module.exit_json(**result)
    if complete or not p["archive"]:
        if p["archive"] and os.path.lexists(p["archive"]):
            os.remove(p["archive"])
        module.exit_json(**result)
    archive = p["archive"]
    if os.path.dirname(os.path.abspath(archive)) != releases_dir:
        module.fail_json(msg="archive %s must be in %s (the path procfile_release returned as "
                             "incoming)" % (archive, releases_dir))
    try:
        members = rel.unpack(archive, releases_dir, revision, record=p["record"])
    except rel.Refused as exc:
        module.fail_json(msg="%s. Release %s was not written; nothing was changed on this host."
                             % (exc, revision), member=exc.member, rule=exc.rule)
    except (OSError, tarfile.TarError, EOFError) as exc:
        module.fail_json(msg="release %s: unpacking %s failed: %s. Nothing was left behind."
                             % (revision, archive, exc))
    finally:
        if os.path.lexists(archive):
            os.remove(archive)
    result.update(changed=True, members=members)
    if module._diff:
        result["diff"] = dict(before_header=path, after_header=path, before="",
                              after="release %s (%d members)\n" % (revision, members))
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
