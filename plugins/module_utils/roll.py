# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rolling restarts inside one host: at most max_unavailable instances of a type are down
at once, and a batch of a type with a health check must answer before the next batch of
that type stops. All of it runs in the one module call of the host (no task per instance).

max_unavailable is what Kubernetes users know: a number of instances, or a percentage of
the type's instances on the host ("25%", rounded down, at least one). Unset, a type with a
health check rolls one instance at a time and a type without one restarts all at once
(nothing would tell the roll that an instance is back).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.health import wait_healthy
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name

_PERCENT = re.compile(r"^\s*(\d+)\s*%\s*$")
_NUMBER = re.compile(r"^\s*(\d+)\s*$")


def max_unavailable_error(value):
    """Why VALUE is not a valid max_unavailable (None when it is, or when unset)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "a number of instances (1 or more) or a percentage like '25%' (1% to 100%)"
    if isinstance(value, int):
        return None if value >= 1 else "a number of instances, 1 or more (0 would never restart)"
    text = str(value)
    match = _PERCENT.match(text)
    if match:
        return None if 1 <= int(match.group(1)) <= 100 else "a percentage from 1% to 100%"
    match = _NUMBER.match(text)
    if match:
        return None if int(match.group(1)) >= 1 else \
            "a number of instances, 1 or more (0 would never restart)"
    return "a number of instances (1 or more) or a percentage like '25%' (1% to 100%)"


def batch_size(value, count, checked):
    """How many of a type's COUNT instances restart together (at least one).

    VALUE is the type's max_unavailable (None: 1 for a CHECKED type, else all)."""
    if count <= 0:
        return 0
    if value is None:
        return 1 if checked else count
    match = _PERCENT.match(str(value))
    if match:
        return max(1, min(count, count * int(match.group(1)) // 100))
    return max(1, min(count, int(value)))


def setting_for(settings, process_type):
    """A per-type value from a {type: value} dict, "*" standing for the types not named."""
    if process_type in settings:
        return settings[process_type]
    return settings.get("*")


def plan_rounds(numbers_by_type, checks, max_unavailable):
    """[{type: [numbers]}, ...]: the restart rounds. Round i holds batch i of every type,
    so that types roll side by side and the roll takes as long as the longest type's."""
    batches = {}
    for t, numbers in numbers_by_type.items():
        numbers = sorted(numbers)
        size = batch_size(setting_for(max_unavailable, t), len(numbers),
                          bool(setting_for(checks, t)))
        batches[t] = [numbers[i:i + size] for i in range(0, len(numbers), size)] if size else []
    rounds = []
    for i in range(max([len(b) for b in batches.values()] or [0])):
        rounds.append(dict((t, b[i]) for t, b in sorted(batches.items()) if i < len(b)))
    return rounds


def rolling_restart(module, host, app, base_port, numbers_by_type, checks, max_unavailable,
                    before_round=None):
    """Restart NUMBERS_BY_TYPE ({type: [instance numbers]}) round by round, each round
    behind the health checks of its checked types. Stops at the first round that does not
    come back healthy: the instances of later rounds are not touched (they keep running
    what they ran). BEFORE_ROUND(batch) runs before each round's restart (a front proxy
    takes the batch out of its list there).

    Returns dict(restarted=[units], healthy=[...], unhealthy=[...], not_restarted=[units],
    msg=None or why the roll stopped)."""
    rounds = plan_rounds(numbers_by_type, checks, max_unavailable)
    restarted, healthy = [], []
    for i, batch in enumerate(rounds):
        units = [instance_name(app, t, n) for t, ns in sorted(batch.items()) for n in ns]
        if before_round:
            before_round(batch)
        host.run("restart", "--", *units)
        restarted += units
        ok, unhealthy, message = wait_healthy(module, app, base_port, batch, checks)
        healthy += ok
        if message:
            left = [instance_name(app, t, n) for later in rounds[i + 1:]
                    for t, ns in sorted(later.items()) for n in ns]
            if left:
                message += ("; the rolling restart stopped there: %d instance(s) not restarted "
                            "keep running the previous version (%s)" % (len(left), " ".join(left)))
            return dict(restarted=restarted, healthy=healthy, unhealthy=unhealthy,
                        not_restarted=left, msg=message, rounds=len(rounds))
    return dict(restarted=restarted, healthy=healthy, unhealthy=[], not_restarted=[], msg=None,
                rounds=len(rounds))
