"""--tags logs of several hosts as one stream: merged by time, each line naming its host,
each entry of journalctl's JSON one entry whatever its message holds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.procfile.systemd.plugins.plugin_utils.log_stream import escape, iso_utc, log_stream

# A line of the stream that is an entry: the ISO time, then the host.
ENTRY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ ")
# Where the message of one() starts: its further lines are indented to there.
INDENT = " " * len("2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: ")


def journal(*entries):
    """What `journalctl --output=json --output-fields=SYSLOG_IDENTIFIER,_PID,MESSAGE` prints:
    one object per line, with the fields journalctl always adds."""
    lines = []
    for n, (micro, identifier, pid, message) in enumerate(entries):
        entry = {"__CURSOR": "s=1f2e;i=%x" % n, "__REALTIME_TIMESTAMP": micro, "__MONOTONIC_TIMESTAMP": "1",
                 "_BOOT_ID": "1f2e", "SYSLOG_IDENTIFIER": identifier, "_PID": pid, "MESSAGE": message}
        lines.append(json.dumps(dict((k, v) for k, v in entry.items() if v is not Ellipsis), ensure_ascii=False))
    # As journalctl prints it; the command module then drops the final newline.
    return "\n".join(lines)


ROLE_1 = journal(
    ("1764296045000100", "shop-web.1", "101", "GET / 200"),
    ("1764296047500000", "shop-worker.3", "103", "job 2 done"),
)
ROLE_2 = journal(
    ("1764296046250000", "shop-web.1", "201", "GET /cart 200"),
    ("1764296047500000", "shop-worker.3", "203", "job 9 done"),
    ("1764296048000000", "shop-worker.3", "203", "Traceback (most recent call last):\n  File \"worker.py\", line 3"),
)


def one(message, micro="1764296045000000"):
    return log_stream({"role-1": journal((micro, "shop-web.1", "1", message))})


def test_entries_of_all_hosts_come_in_time_order_each_naming_its_inventory_host():
    assert log_stream({"role-2": ROLE_2, "role-1": ROLE_1}) == [
        "2025-11-28T02:14:05.000100Z role-1 shop-web.1[101]: GET / 200",
        "2025-11-28T02:14:06.250000Z role-2 shop-web.1[201]: GET /cart 200",
        # The same moment: by host name, then in the journal's order.
        "2025-11-28T02:14:07.500000Z role-1 shop-worker.3[103]: job 2 done",
        "2025-11-28T02:14:07.500000Z role-2 shop-worker.3[203]: job 9 done",
        "2025-11-28T02:14:08.000000Z role-2 shop-worker.3[203]: Traceback (most recent call last):",
        # A message's own lines stay under it, indented to where its message starts.
        " " * len("2025-11-28T02:14:08.000000Z role-2 shop-worker.3[203]: ") + "  File \"worker.py\", line 3",
    ]


def test_hosts_without_output_and_lines_that_are_not_entries_leave_no_entry():
    lines = log_stream({"role-1": "", "role-2": None,
                        "role-3": "-- Boot 1f2e --\n" + journal(("1764296045000000", "shop-web.1", "1", "up"))})
    assert lines == ["2025-11-28T02:14:05.000000Z role-3 shop-web.1[1]: up"]


def test_text_that_is_not_journalctl_json_is_counted_not_shown():
    lines = log_stream({"role-1": "1764296045.000000 h shop-web.1[1]: up\n[1, 2]\n{\"MESSAGE\": \"x\""})
    assert lines == ["-- No entries --", "-- role-1: 3 lines that are not journalctl JSON entries left out --"]


def test_nothing_at_all_says_so():
    assert log_stream({}) == ["-- No entries --"]
    assert log_stream({"role-1": ""}) == ["-- No entries --"]
    assert log_stream({"role-1": "\n"}) == ["-- No entries --"]


def test_time_is_utc_to_the_microsecond():
    assert iso_utc(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_utc(1764296045123456) == "2025-11-28T02:14:05.123456Z"


def test_line_separator_then_nan_is_part_of_the_message_and_fails_nothing():
    """U+2028 split the line for str.splitlines(), and float() took the `nan` after it."""
    assert one("boom\u2028nan oops") == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: boom\\u2028nan oops"]
    assert one("\u2029inf") == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: \\u2029inf"]


def test_a_message_cannot_forge_an_entry_of_another_unit():
    forged = "1764296000.0 h other-web.1[1]: FORGED"
    iso_forged = "2025-11-28T02:13:20.000000Z role-1 other-web.1[1]: FORGED"
    for message in ("x\u2028" + forged, "x\u2029" + forged, "x\x85" + forged, "x\x0b" + forged,
                    "x\x0c" + forged, "x\x1c" + forged, "x\x1d" + forged, "x\x1e" + forged,
                    "x\r" + iso_forged, "x\n" + iso_forged, "x\r\n" + iso_forged, "\n" + iso_forged):
        lines = one(message)
        assert [line for line in lines if ENTRY.match(line)] == [lines[0]], (message, lines)
        assert lines[0].startswith("2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]:"), lines
        assert len(lines) == 1 + message.count("\n"), lines
        # However a reader splits lines, none is the forged entry's.
        for line in "\n".join(lines).splitlines():
            assert "other-web.1" not in line.split(" ", 3)[:3], (message, lines)


def test_control_characters_are_shown_escaped_and_tabs_kept():
    assert one("a\x85b\x0bc\x0cd\x1b[2Ke\x7ff\rg\th\x00") == [
        "2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: a\\x85b\\x0bc\\x0cd\\x1b[2Ke\\x7ff\\x0dg\th\\x00"]
    assert escape("caf\u00e9 \u00a0\u4e16\u754c \U0001f600") == "caf\u00e9 \u00a0\u4e16\u754c \U0001f600"
    assert escape("\ud800") == "\\ud800"


def test_a_time_that_does_not_parse_is_shown_as_it_is_after_the_entry_before_it():
    lines = log_stream({
        "role-1": journal(("1764296045000000", "shop-web.1", "1", "first"),
                          ("nan", "shop-web.1", "1", "odd"),
                          ("1764296047000000", "shop-web.1", "1", "third")),
        "role-2": journal(("1764296046000000", "shop-web.1", "2", "other host"),
                          ("99999999999999999999", "shop-web.1", "2", "after the year 9999"),
                          (" 1764296046000001", "shop-web.1", "2", "a space"),
                          ("1_764_296_046_000_002", "shop-web.1", "2", "underscores"),
                          (..., "shop-web.1", "2", "no time\nat all"),
                          ("1\u20282", "shop-web.1", "2", "separator"))})
    assert lines == [
        "2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: first",
        "nan role-1 shop-web.1[1]: odd",
        "2025-11-28T02:14:06.000000Z role-2 shop-web.1[2]: other host",
        "99999999999999999999 role-2 shop-web.1[2]: after the year 9999",
        " 1764296046000001 role-2 shop-web.1[2]: a space",
        "1_764_296_046_000_002 role-2 shop-web.1[2]: underscores",
        "- role-2 shop-web.1[2]: no time",
        " " * len("- role-2 shop-web.1[2]: ") + "at all",
        "1\\u20282 role-2 shop-web.1[2]: separator",
        "2025-11-28T02:14:07.000000Z role-1 shop-web.1[1]: third",
    ]


def test_a_first_entry_without_a_time_comes_first():
    lines = log_stream({"role-1": journal(("1764296045000000", "shop-web.1", "1", "timed")),
                        "role-2": journal(("later?", "shop-web.1", "2", "untimed"))})
    assert lines == ["later? role-2 shop-web.1[2]: untimed",
                     "2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: timed"]


def test_a_message_of_bytes_is_decoded_and_what_is_not_utf8_escaped():
    """journalctl writes a field that is not UTF-8, or holds control characters, as an
    array of byte values."""
    message = list("caf\u00e9\x85".encode("utf-8")) + [0xff, 0x0a] + list(b"2025 role-1 other-web.1[1]: x")
    assert one(message) == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: caf\u00e9\\x85\\xff",
                            INDENT + "2025 role-1 other-web.1[1]: x"]


def test_a_field_the_entry_has_twice_comes_as_an_array_of_values():
    assert one(["one", list(b"two\xff")]) == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: one",
                                              INDENT + "two\\xff"]


def test_a_null_message_says_it_was_not_shown_and_an_entry_without_one_is_left_out():
    assert one(None) == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: "
                         "[message not shown: too long for journalctl --output=json without --all]"]
    assert one(...) == ["-- No entries --"]


def test_an_empty_message_or_line_ends_in_no_space():
    """A line ending in a space makes the yaml callback quote the whole block."""
    assert one("") == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]:"]
    assert one("a\n\nb\n") == ["2025-11-28T02:14:05.000000Z role-1 shop-web.1[1]: a", "",
                               INDENT + "b"]


def test_identifier_and_pid_are_the_entrys_own_and_escaped():
    text = "\n".join([
        json.dumps({"__REALTIME_TIMESTAMP": "1764296045000000", "_COMM": "python3", "_PID": "7", "MESSAGE": "a"}),
        json.dumps({"__REALTIME_TIMESTAMP": "1764296045000001", "SYSLOG_IDENTIFIER": "kernel", "MESSAGE": "b"}),
        json.dumps({"__REALTIME_TIMESTAMP": "1764296045000002", "MESSAGE": "c"}),
        json.dumps({"__REALTIME_TIMESTAMP": "1764296045000003", "SYSLOG_IDENTIFIER": "x\nother-web.1",
                    "_PID": ["1", "2"], "MESSAGE": "d"}),
    ])
    assert log_stream({"role-1": text}) == [
        "2025-11-28T02:14:05.000000Z role-1 python3[7]: a",
        "2025-11-28T02:14:05.000001Z role-1 kernel: b",
        "2025-11-28T02:14:05.000002Z role-1 unknown: c",
        "2025-11-28T02:14:05.000003Z role-1 x\\x0aother-web.1[1\\x0a2]: d",
    ]


def test_values_no_journalctl_writes_fail_nothing():
    text = "\n".join([
        '{"__REALTIME_TIMESTAMP": NaN, "MESSAGE": {"a": [1, true]}}',
        '{"__REALTIME_TIMESTAMP": 1764296045000000, "SYSLOG_IDENTIFIER": [[1, 300]], "MESSAGE": [true]}',
        '[' * 100000 + ']' * 100000,
    ])
    assert log_stream({"role-1": text}) == [
        'NaN role-1 unknown: {"a": [1, true]}',
        '1764296045000000 role-1 [[1, 300]]: [true]',
        "-- role-1: 1 lines that are not journalctl JSON entries left out --",
    ]
