"""--tags status prints one table for every host of the play, from procfile_status's data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.procfile.systemd.plugins.filter.procfile import status_table


def instance(unit, n, state="active", sub="running", pid=100, restarts=0, memory="12.0M"):
    return dict(unit=unit, type=unit.split("-", 1)[1].split("@")[0], unique_int=n, state=state,
                sub_state=sub, enabled="enabled", main_pid=pid, restarts=restarts,
                since="Mon 2026-11-23 11:47:11 UTC" if pid else "", memory=memory,
                in_upstream=None)


def host_status(types, instances, paused=False, deployed=True, upstreams=None):
    return dict(app="shop", deployed=deployed, paused=paused, paused_record=None,
                types=[dict(type=t, wanted=w, running=r) for t, w, r in types],
                instances=instances, upstreams=upstreams or {})


WEB_1 = host_status([("web", 2, 2), ("worker", 1, 1)], [
    instance("shop-web@1.service", 1, pid=101), instance("shop-web@2.service", 2, pid=102),
    instance("shop-worker@3.service", 3, pid=103, restarts=4)],
    upstreams={"web": dict(path="/etc/nginx/conf.d/shop-web.conf", name="shop_web",
                           instances=[1, 2])})
DB_1 = host_status([("web", 0, 0), ("worker", None, 0)], [], deployed=False)
WORKER_1 = host_status([("web", 0, 0), ("worker", 2, 0)], [
    instance("shop-worker@1.service", 1, state="inactive", sub="dead", pid=0, memory="-"),
    instance("shop-worker@2.service", 2, state="inactive", sub="dead", pid=0, memory="-")],
    paused=True)


def test_one_table_for_every_host_grouped_by_host_in_host_order():
    lines = status_table({"worker-1": WORKER_1, "web-1": WEB_1, "db-1": DB_1})
    assert lines == [
        "shop: running on web-1",
        "shop: PAUSED on worker-1 (resume with --tags resume)",
        "shop: not deployed on db-1",
        "HOST     TYPE   WANTED RUNNING",
        "db-1     web         0       0",
        "db-1     worker      -       0",
        "web-1    web         2       2",
        "web-1    worker      1       1",
        "worker-1 web         0       0",
        "worker-1 worker      2       0",
        "web-1: web upstream shop_web (/etc/nginx/conf.d/shop-web.conf): web.1 web.2",
        "HOST     INSTANCE               INT STATE                    PID RESTARTS SINCE"
        "                MEMORY",
        "web-1    shop-web@1.service       1 active/running           101        0 "
        "2026-11-23 11:47:11   12.0M",
        "web-1    shop-web@2.service       2 active/running           102        0 "
        "2026-11-23 11:47:11   12.0M",
        "web-1    shop-worker@3.service    3 active/running           103        4 "
        "2026-11-23 11:47:11   12.0M",
        "worker-1 shop-worker@1.service    1 inactive/dead              -        0 "
        "-                         -",
        "worker-1 shop-worker@2.service    2 inactive/dead              -        0 "
        "-                         -",
    ]


def test_one_header_whatever_the_number_of_hosts():
    statuses = dict(("web-%02d" % i, WEB_1) for i in range(1, 11))
    lines = status_table(statuses)
    assert lines[0] == "shop: running on " + ", ".join(sorted(statuses))
    assert len([line for line in lines if line.startswith("HOST ")]) == 2
    assert len([line for line in lines if "shop-web@1.service" in line]) == 10


def test_a_host_without_status_is_named_and_none_at_all_is_said():
    lines = status_table({"web-1": WEB_1, "web-2": None})
    assert lines[:2] == ["shop: running on web-1", "shop: no status from web-2"]
    assert status_table({"web-1": None}) == ["no status: no host of the play was read"]


def test_joined_is_one_string():
    assert status_table({"db-1": DB_1}, joined=True) == "\n".join(status_table({"db-1": DB_1}))


@pytest.mark.parametrize("bad", [["web-1"], {"web-1": {"app": "shop"}}])
def test_anything_else_is_a_clear_error(bad):
    with pytest.raises(AnsibleFilterError, match="status_table"):
        status_table(bad)
