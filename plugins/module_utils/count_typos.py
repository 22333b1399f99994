# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count variables that name no process type: `-e wroker_count=5` scales nothing.

A deploy reads `<type>_count` for each type of the Procfile and nothing else, so a typo
in the name is silently ignored: the run succeeds, reports a change for whatever else
changed, and the type keeps its old count. A name within two edits of a type's count
variable is almost certainly that mistake, and is worth a warning that names the type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import count_variable

COUNT_NAME_RE = re.compile(r"^[A-Za-z0-9_]+_count$")
MAX_EDITS = 2


def edits(a, b):
    """How many single-character insertions, deletions, substitutions or swaps of two
    neighbours turn A into B (optimal string alignment distance: `wroker` is one from
    `worker`)."""
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def count_typos(types, names):
    """Warnings for the NAMES (variables that are set) that look like the count variable
    of one of TYPES but are none: each names the type it most probably meant. The
    role's own variables (procfile_*) are not counts of a type and are never suspects."""
    wanted = dict((count_variable(t), t) for t in types)
    warnings = []
    for name in sorted(set(names)):
        if name in wanted or not COUNT_NAME_RE.match(name) or name.lstrip("_").startswith("procfile_"):
            continue
        stem = name[:-len("_count")]
        near = sorted((edits(stem, variable[:-len("_count")]), variable)
                      for variable in wanted)
        # Two edits from a two-letter type is any two-letter word: closer than the name's length.
        near = [(d, v) for d, v in near if d <= MAX_EDITS and d < len(v[:-len("_count")])]
        if near:
            variable = near[0][1]
            warnings.append(
                "%s is set, but the Procfile has no type %r, so it scales nothing: did you "
                "mean %s (type %s)? The types: %s" % (
                    name, stem, variable, wanted[variable], ", ".join(types)))
    return warnings
