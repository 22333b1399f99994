# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule for the role's host paths, shared by the controller's input checks
(plugin_utils/validate.py) and the modules that take such a path (procfile_trust)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# A path systemd and the shell both take literally: no spaces, quotes, % or $.
PATH_RE = re.compile(r"^/[A-Za-z0-9._+/-]*\Z")


def path_errors(variable, path):
    if not isinstance(path, str) or not path:
        return ["%s is required: an absolute path" % variable]
    if not PATH_RE.match(path) or path == "/":
        return ["%s %r: an absolute path of letters, digits and . _ + - / (no spaces, "
                "quotes, $ or %%), not /" % (variable, path)]
    if any(part in (".", "..") for part in path.split("/")):
        return ["%s %r: no '.' or '..' components" % (variable, path)]
    return []


def normalized_path_errors(variable, path, optional=False):
    """PATH as one of the role's host paths: absolute, normalized (no '.', '..', '//' or
    trailing '/'), and of characters that systemd's unit syntax and the shell both read
    literally. An empty value is an error unless OPTIONAL."""
    if optional and path in ("", None):
        return []
    errors = path_errors(variable, path)
    if not errors and (path.rstrip("/") != path or "//" in path):
        return ["%s %r: a normalized path (no '//', no trailing '/'): %s"
                % (variable, path, re.sub("/+", "/", path).rstrip("/") or "/")]
    return errors
