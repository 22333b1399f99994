# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Procfile to read for an app and an env, and reading it safely.

Apart from the parser because this part touches the disk: the variant chosen for an env
(Procfile.<env>, Procfile_<env>), links that lead out of the app's directory, and a
file read as the app's user, not as root, so that the user cannot make root read a file
it could not read itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_decode import (
    MAX_BYTES,
    too_large,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import (
    ProcfileError,
    shorten,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse
from ansible_collections.procfile.systemd.plugins.module_utils.unprivileged import (
    ReadError,
    account,
    read_as,
    read_regular_file,
)

# What an environment name may be: it becomes part of a file name (Procfile.<env>).
ENV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def select_procfile(path, env=None, env_strict=False, warnings=None):
    """Which file to read for PATH (a directory or a file) and ENV, and why.

    In a directory with ENV set, the variant is Procfile.<env> (the common spelling) or
    Procfile_<env> (Cloud 66's); both at once is an error, since either could be the
    one meant. With neither, Procfile is used and a warning added to WARNINGS, or, when
    ENV_STRICT, it is an error. Returns (file path, reason); raises ProcfileError.
    """
    if os.path.isdir(path):
        default = os.path.join(path, "Procfile")
        if env:
            if not ENV_RE.match(env):
                raise ProcfileError(path, 0, "env",
                                    "env %r is not a usable name: it becomes part of a file "
                                    "name (Procfile.<env>); use letters, digits, '.', '-' and "
                                    "'_', starting with a letter or digit" % shorten(env))
            spellings = ["Procfile.%s" % env, "Procfile_%s" % env]
            found = [x for x in spellings if os.path.isfile(os.path.join(path, x))]
            if len(found) == 2:
                raise ProcfileError(path, 0, "ambiguous-variant",
                                    "both %s and %s exist for env %r in %s; remove or rename "
                                    "one, so that which file is deployed is clear"
                                    % (found[0], found[1], env, path))
            if found:
                return os.path.join(path, found[0]), "%s exists for env %r" % (found[0], env)
            missing = "env %r: neither %s nor %s exists in %s" % (
                env, spellings[0], spellings[1], path)
            if env_strict:
                raise ProcfileError(path, 0, "missing-variant",
                                    "%s (env_strict: true, so Procfile is not used instead)"
                                    % missing)
            if os.path.isfile(default):
                reason = "%s; using Procfile" % missing
                if warnings is not None:
                    warnings.append(reason)
                return default, reason
        elif os.path.isfile(default):
            return default, "no env given; using Procfile"
        raise ProcfileError(path, 0, "missing",
                            "no Procfile%s in directory %s"
                            % (", Procfile.%s or Procfile_%s" % (env, env) if env else "",
                               path))
    if os.path.isfile(path):
        return path, "path is a file"
    raise ProcfileError(path, 0, "missing", "no such file or directory: %s" % path)


def confined(path, root):
    """Refuse a Procfile that is, or is reached through, a link leading out of ROOT.

    A link inside the app's directory (Procfile -> Procfile.production) is followed; one
    that leaves it is refused without reading anything, and the message never shows
    what the target holds.
    """
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip("/") + "/"):
        raise ProcfileError(path, 0, "outside-root",
                            "leads out of %s (to %s) through a symbolic link; a Procfile must "
                            "be a file of the app's own directory, so it was not read"
                            % (root, real))
    return real


def read_procfile(path, root=None, as_user=None, strict=False, warnings=None):
    """Read and parse a Procfile from disk.

    ROOT (default: the file's directory) confines links, see confined(). AS_USER: the
    account that may have written the app's code: the file is read by a child process
    running as that user (see unprivileged), so that no link, hard link or swapped
    directory can make root read a file the user could not. Without such an account
    (not created yet, or root) the file is read as root. STRICT, WARNINGS: see parse().
    """
    real = confined(path, root if root is not None else os.path.dirname(path) or ".")
    ids = account(as_user) if as_user else None
    unprivileged = ids is not None and ids[0] != 0
    try:
        # At most one byte over the limit is read, so the size is the file's own (below).
        data = read_as(real, ids, MAX_BYTES) if unprivileged else read_regular_file(real, MAX_BYTES)
    except ReadError as exc:
        if exc.reason == "not-regular":
            raise ProcfileError(path, 0, "not-regular",
                                "is not a regular file (a FIFO, device or directory); not read")
        who = " as the app's user %r (its processes run as that user and must be able to "\
              "read their code)" % as_user if unprivileged else ""
        raise ProcfileError(path, 0, "read", "cannot read%s: %s" % (who, exc.detail))
    if len(data) > MAX_BYTES:
        raise too_large(path, _file_size(real))
    return parse(data, path, strict=strict, warnings=warnings)


def _file_size(path):
    """The size of a file read only in part, or None when it is no longer over the limit
    (it changed since) or cannot be looked at: then the message says "more than"."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    return size if size > MAX_BYTES else None
