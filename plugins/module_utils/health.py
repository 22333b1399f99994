# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP health checks of an app's instances on their PORT, all in one process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.six.moves.urllib.request import build_opener, HTTPRedirectHandler, ProxyHandler

from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name


class _NoRedirect(HTTPRedirectHandler):
    """A 3xx is an answer; following it could leave the instance."""

    def redirect_request(self, *args, **kwargs):
        return None


# What a health check is when its keys are left out: the root path, a minute to answer,
# and any 2xx or 3xx status (None). The role fills them in (filter health_checks), its
# validation checks against them, and the probes fall back on them.
CHECK_DEFAULTS = {"path": "/", "timeout": 60, "status": None}


def full_check(check):
    """CHECK with the defaults of the keys it leaves out; None for no check (None, {})."""
    return dict(CHECK_DEFAULTS, **check) if check else None


# No proxy from the environment: the instance is on this host.
OPENER = build_opener(ProxyHandler({}), _NoRedirect())


def probe(url, timeout=2.0):
    """(HTTP status, None) or (None, error)."""
    try:
        response = OPENER.open(url, timeout=timeout)
        try:
            return response.getcode(), None
        finally:
            response.close()
    except HTTPError as exc:
        return exc.code, None
    except Exception as exc:  # noqa: B902 - any failure to connect is "not yet"
        return None, str(getattr(exc, "reason", exc))


def healthy_status(status, expected):
    if status is None:
        return False
    return status == expected if expected is not None else 200 <= status < 400


def unit_states(module, units):
    """{unit: "active/running, N restarts"}, to say why an instance is not healthy."""
    states = Systemctl(module).states(list(units), "Id,ActiveState,SubState,NRestarts", check=False)
    return dict((unit, "%s/%s, %s restarts" % (p.get("ActiveState"), p.get("SubState"),
                                               p.get("NRestarts", "?")))
                for unit, p in states.items())


def wait_healthy(module, app, base_port, instances, checks, host="127.0.0.1"):
    """Probe every instance of the checked types until healthy or its type's timeout.

    Returns (healthy, unhealthy, message); message is None when all are healthy.
    """
    started = time.time()
    pending = []
    for t, numbers in sorted(instances.items()):
        # "*" is the check of the types CHECKS does not name; a type named with None has none.
        check = checks[t] if t in checks else checks.get("*")
        if not check:
            continue
        for n in numbers or []:
            port = base_port + int(n)
            # An empty or null path or timeout counts as left out (procfile_health's caller
            # may give either).
            path = check.get("path") or CHECK_DEFAULTS["path"]
            timeout = int(check.get("timeout") or CHECK_DEFAULTS["timeout"])
            pending.append(dict(unit=instance_name(app, t, int(n)), type=t, port=port,
                                url="http://%s:%d%s" % (host, port, path),
                                expected=check.get("status"),
                                deadline=started + timeout,
                                error="not probed yet"))
    healthy, failed = [], []
    while pending:
        for item in list(pending):
            status, error = probe(item["url"])
            if healthy_status(status, item["expected"]):
                healthy.append(dict(unit=item["unit"], port=item["port"], status=status,
                                    seconds=round(time.time() - started, 1)))
                pending.remove(item)
                continue
            item["error"] = error or "HTTP status %d" % status
            if time.time() >= item["deadline"]:
                failed.append(item)
                pending.remove(item)
        if pending:
            time.sleep(0.5)
    if not failed:
        return healthy, [], None
    states = unit_states(module, [f["unit"] for f in failed])
    unhealthy = [dict(unit=f["unit"], port=f["port"], url=f["url"], error=f["error"],
                      unit_state=states.get(f["unit"], "unknown")) for f in failed]
    details = "; ".join("%s (%s): %s, unit %s" % (u["unit"], u["url"], u["error"], u["unit_state"])
                        for u in unhealthy)
    message = "health check failed for %d instance(s) of %s on this host: %s" % (
        len(failed), app, details)
    return healthy, unhealthy, message
