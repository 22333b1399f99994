# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP health checks of an app's instances on their PORT, all in one process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name


# What a health check is when its keys are left out: the root path, a minute to answer,
# and any 2xx or 3xx status (None). The role fills them in (filter health_checks), its
# validation checks against them, and the probes fall back on them.
CHECK_DEFAULTS = {"path": "/", "timeout": 60, "status": None}


def full_check(check):
    """CHECK with the defaults of the keys it leaves out; None for no check (None, {})."""
    return dict(CHECK_DEFAULTS, **check) if check else None


_OPENER = []


def opener():
    """The probes' URL opener, made on first use: importing urllib.request (and with it
    http.client and ssl) at module level cost every controller worker that runs one of the
    role's filters about 12 ms of CPU, for the CHECK_DEFAULTS above, at every task and
    server (benchmarks/results/fleet.md)."""
    if not _OPENER:
        from ansible.module_utils.six.moves.urllib.request import build_opener, HTTPRedirectHandler, ProxyHandler

        class NoRedirect(HTTPRedirectHandler):
            """A 3xx is an answer; following it could leave the instance."""

            def redirect_request(self, *args, **kwargs):
                return None

        # No proxy from the environment: the instance is on this host.
        _OPENER.append(build_opener(ProxyHandler({}), NoRedirect()))
    return _OPENER[0]


def probe(url, timeout=2.0):
    """(HTTP status, None) or (None, error)."""
    from ansible.module_utils.six.moves.urllib.error import HTTPError

    try:
        response = opener().open(url, timeout=timeout)
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


def type_check(checks, process_type):
    """The check of PROCESS_TYPE in CHECKS: "*" is the check of the types CHECKS does not
    name; a type named with None has none."""
    return checks[process_type] if process_type in checks else checks.get("*")


def targets(app, base_port, instances, checks, host, started):
    """One probe target per instance of the checked types, in type and INSTANCES order."""
    found = []
    for t, numbers in sorted(instances.items()):
        check = type_check(checks, t)
        if not check:
            continue
        for n in numbers or []:
            port = base_port + int(n)
            # An empty or null path or timeout counts as left out (procfile_health's caller
            # may give either).
            path = check.get("path") or CHECK_DEFAULTS["path"]
            timeout = int(check.get("timeout") or CHECK_DEFAULTS["timeout"])
            found.append(dict(unit=instance_name(app, t, int(n)), type=t, port=port,
                              url="http://%s:%d%s" % (host, port, path),
                              expected=check.get("status"),
                              timeout=timeout, deadline=started + timeout,
                              error="not probed yet"))
    return found


def check_now(app, base_port, instances, checks, host="127.0.0.1", timeout=2.0):
    """Every instance of the checked types probed once, now, all at once (a status, not a
    gate: no retry, and a hung instance costs TIMEOUT, not TIMEOUT per instance).

    Returns {unit: (healthy, why not: None, "HTTP status 500", the connection error)}."""
    items = targets(app, base_port, instances, checks, host, time.time())
    answers = {}

    def probe_one(item):
        # The type's own timeout when shorter: what its check allows an answer.
        answers[item["unit"]] = probe(item["url"], min(timeout, item["timeout"]))

    threads = [threading.Thread(target=probe_one, args=(item,)) for item in items]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(timeout + 1)
    found = {}
    for item in items:
        status, error = answers.get(item["unit"], (None, "no answer in %gs" % timeout))
        ok = healthy_status(status, item["expected"])
        found[item["unit"]] = (ok, None if ok else (error or "HTTP status %d" % status))
    return found


def wait_healthy(module, app, base_port, instances, checks, host="127.0.0.1"):
    """Probe every instance of the checked types until healthy or its type's timeout.

    Returns (healthy, unhealthy, message); message is None when all are healthy.
    """
    started = time.time()
    pending = targets(app, base_port, instances, checks, host, started)
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
