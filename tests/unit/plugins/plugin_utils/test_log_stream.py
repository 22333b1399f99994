"""--tags logs of several hosts as one stream: merged by time, each line naming its host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.plugin_utils.log_stream import iso_utc, log_stream

ROLE_1 = (
    "1764296045.000100 box-a shop-web.1[101]: GET / 200\n"
    "1764296047.500000 box-a shop-worker.3[103]: job 2 done\n"
)
ROLE_2 = (
    "1764296046.250000 box-b shop-web.1[201]: GET /cart 200\n"
    "1764296047.500000 box-b shop-worker.3[203]: job 9 done\n"
    "1764296048.000000 box-b shop-worker.3[203]: Traceback (most recent call last):\n"
    "                                            File \"worker.py\", line 3\n"
)


def test_lines_of_all_hosts_come_in_time_order_each_naming_its_inventory_host():
    assert log_stream({"role-2": ROLE_2, "role-1": ROLE_1}) == [
        "2025-11-28T02:14:05.000100Z role-1 shop-web.1[101]: GET / 200",
        "2025-11-28T02:14:06.250000Z role-2 shop-web.1[201]: GET /cart 200",
        # The same moment: by host name, then in the journal's order.
        "2025-11-28T02:14:07.500000Z role-1 shop-worker.3[103]: job 2 done",
        "2025-11-28T02:14:07.500000Z role-2 shop-worker.3[203]: job 9 done",
        "2025-11-28T02:14:08.000000Z role-2 shop-worker.3[203]: Traceback (most recent call last):",
        # A continuation line stays under its message.
        "                                            File \"worker.py\", line 3",
    ]


def test_journalctl_notes_and_hosts_without_output_leave_no_line():
    lines = log_stream({"role-1": "-- No entries --\n", "role-2": None,
                        "role-3": "-- Boot 1f2e --\n1764296045.000000 h shop-web.1[1]: up\n"})
    assert lines == ["2025-11-28T02:14:05.000000Z role-3 shop-web.1[1]: up"]


def test_nothing_at_all_says_so():
    assert log_stream({}) == ["-- No entries --"]
    assert log_stream({"role-1": ""}) == ["-- No entries --"]


def test_time_is_utc_to_the_microsecond():
    assert iso_utc(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_utc(1764296045.123456) == "2025-11-28T02:14:05.123456Z"
