# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: release_archive
version_added: "0.1.0"
short_description: Build one deterministic archive of an app's code on the controller
description:
  - Packs the directory given as the term into one C(.tar.gz) in a cache directory on the
    controller, once, and returns where it is, its sha256, how many files it holds and the
    release's revision. A C(.tar.gz) given as the term is taken as it is.
  - The archive is deterministic - names sorted, every member owned by root with one
    fixed time, modes 0755 (directories, executables) or 0644, a gzip header without name
    or time - so that the same code gives the same sha256, the same revision, and a host
    that has that release already is sent nothing.
  - A socket, FIFO or device in the tree fails the lookup, naming it (exclude it).
author: procfile.systemd contributors (@procfile-systemd)
options:
  _terms:
    description: The source, a directory or a C(.tar.gz) file on the controller (relative to the current directory).
    type: list
    elements: str
    required: true
  exclude:
    description:
      - Glob patterns of what to leave out. A pattern without C(/) matches a name at any
        depth (C(.git), C(*.pyc)); one with C(/) the path from the top of the source
        (C(log/*.log)). An excluded directory is left out with everything in it.
    type: list
    elements: str
    default: [".git"]
  revision:
    description: The release's revision; empty, the first 12 hex digits of the archive's sha256.
    type: str
    default: ""
  env:
    description:
      - The environment name (C(procfile_env)) whose C(Procfile.<env>) or C(Procfile_<env>)
        RV(_raw.procfile) names, when the source has one.
    type: str
    default: ""
  cache_dir:
    description: Where the archives are kept on the controller.
    type: str
    default: ~/.cache/procfile-systemd/archives
"""

EXAMPLES = r"""
- name: Build the release archive once
  ansible.builtin.set_fact:
    release: "{{ lookup('procfile.systemd.release_archive', './app', exclude=['.git', 'node_modules/.cache']) }}"
  run_once: true
"""

RETURN = r"""
_raw:
  description: One dict.
  type: list
  elements: dict
  contains:
    path:
      description: The archive on the controller.
      type: str
    sha256:
      description: The archive's sha256.
      type: str
    files:
      description: How many regular files it holds.
      type: int
    members:
      description: How many members (files, directories, links) it holds.
      type: int
    revision:
      description: The release's revision (O(revision), else the sha256's first 12 digits).
      type: str
    source:
      description: The source as an absolute path.
      type: str
    procfile:
      description:
        - The Procfile at the top of the source (C(Procfile.<env>), C(Procfile_<env>) or
          C(Procfile)) as C(name) and C(text), both null when there is none. Only for a
          check-mode run on a host that does not have the release yet.
      type: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.procfile.systemd.plugins.plugin_utils.release_archive import (
    ArchiveError,
    release_archive,
    release_procfile,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results = []
        for term in terms:
            try:
                found = release_archive(str(term), [str(p) for p in self.get_option("exclude")],
                                        self.get_option("cache_dir"),
                                        str(self.get_option("revision") or ""))
                found["procfile"] = release_procfile(found["source"], str(self.get_option("env") or ""))
                results.append(found)
            except (ArchiveError, OSError) as exc:
                raise AnsibleLookupError("procfile_source: %s" % exc)
        return results
