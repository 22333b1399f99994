# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Naming a type or one instance the way a PaaS does: `worker`, or `worker.2`.

Every instance already calls itself `<type>.<UNIQUE_INT>` (its DYNO variable, its journal
identifier), so `--tags logs` and `--tags restart` take the same form. A name the host
does not have is an error that lists what it has, never a raw systemctl or journalctl
message. Used by the restart module on the host and by the logs filter on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_INSTANCE_RE = re.compile(r"^(.+)\.([0-9]+)$")


def dyno(process_type, number):
    return "%s.%d" % (process_type, number)


def parse(name):
    """('worker', None) for a type, ('worker', 2) for an instance."""
    match = _INSTANCE_RE.match(name)
    if match:
        return match.group(1), int(match.group(2))
    return name, None


def select(app, names, present):
    """{type: numbers} that NAMES ('worker', 'worker.2') pick out of PRESENT, the host's
    {type: numbers} (all of it when NAMES is empty), and the errors, each naming what the
    host has."""
    if not names:
        return dict((t, sorted(ns)) for t, ns in present.items()), []
    chosen, errors = {}, []
    every = ", ".join(dyno(t, n) for t in present for n in sorted(present[t])) or "none"
    for name in names:
        process_type, number = parse(name)
        if process_type not in present:
            errors.append("%s has no process type %s on this host (types: %s; instances: %s)"
                          % (app, process_type, ", ".join(present) or "none", every))
        elif number is None:
            chosen[process_type] = sorted(present[process_type])
        elif number not in present[process_type]:
            errors.append("%s has no instance %s on this host (instances: %s)"
                          % (app, name, every))
        else:
            chosen[process_type] = sorted(set(chosen.get(process_type, [])) | {number})
    return chosen, errors
