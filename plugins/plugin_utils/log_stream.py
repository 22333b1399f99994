# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs of an app on every host of a play as one stream in time order (--tags logs).

Each host's journal is read with `journalctl --output=json` (one JSON object per entry and
per line; __REALTIME_TIMESTAMP in microseconds since the epoch: comparable across hosts
whatever their time zones); here, on the controller, the entries of all hosts are merged by
that time, each naming its host, like `heroku logs` does for every dyno of an app.

Why JSON and not journalctl's text formats: a message is the app's own text, and the app
decides what it holds. In a text format, the only thing that tells one entry from the next
is a line break, and "a line break" means different things to journalctl (\\n), Python's
str.splitlines (also U+2028, U+2029, \\x85, \\x0b, \\x0c, \\x1c-\\x1e, \\r), the yaml
callback and a terminal: a message with U+2028 then `1764296000.0 h other-web.1[1]: ...`
read as a second entry of another unit. JSON ends an entry only where journalctl ends it;
every character of a message is then shown as the message's, escaped where a reader could
take it for a line break.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re
import unicodedata

NO_ENTRIES = "-- No entries --"

# What journalctl writes, digits only: int() would also take " 1", "+1" or "1_000".
_MICROSECONDS = re.compile(r"\A[0-9]{1,20}\Z")
# Unicode categories shown escaped: control characters (\x00-\x1f, \x7f-\x9f: \r, \x0b,
# \x85, escape sequences...), the line and paragraph separators U+2028 and U+2029, and
# lone surrogates (a JSON "\ud800" decodes to one, and no output can encode it).
_ESCAPED_CATEGORIES = ("Cc", "Zl", "Zp", "Cs")


def iso_utc(microseconds):
    """1764296045123456 (microseconds since the epoch) -> '2025-11-28T02:14:05.123456Z'."""
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=microseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def escape(text):
    """TEXT with every character that a terminal, Python or YAML could take for a line
    break or a cursor move written as an escape (\\u2028, \\x1b, \\r), \\t kept."""
    if text.isprintable():  # the usual case, and fast: no character needs a look
        return text
    out = []
    for char in text:
        if char != "\t" and unicodedata.category(char) in _ESCAPED_CATEGORIES:
            code = ord(char)
            out.append("\\x%02x" % code if code < 0x100 else "\\u%04x" % code)
        else:
            out.append(char)
    return "".join(out)


def _bytes_or_string(value):
    """One value of a field: a string, or an array of byte values (data that is not UTF-8
    or holds control characters), undecodable bytes shown as \\xNN; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256
                                       for b in value):
        return bytes(value).decode("utf-8", "backslashreplace")
    return None


def _text(value):
    """A journal field as journalctl's JSON gives it, as text (see _bytes_or_string); an
    array of those for a field the entry has more than once, one per line; null (a field
    too large for journalctl without --all) or absent: None."""
    if value is None:
        return None
    text = _bytes_or_string(value)
    if text is not None:
        return text
    if isinstance(value, list):
        texts = [_bytes_or_string(v) for v in value]
        if None not in texts:
            return "\n".join(texts)
    try:  # not from journalctl: shown as it is
        return json.dumps(value)
    except (ValueError, RecursionError):
        return "[%s]" % type(value).__name__


def _time(entry):
    """(microseconds or None, the time as shown)."""
    raw = entry.get("__REALTIME_TIMESTAMP")
    text = _text(raw) if raw is not None else "-"
    if isinstance(raw, str) and _MICROSECONDS.match(raw):
        try:
            return int(raw), iso_utc(int(raw))
        except OverflowError:  # after the year 9999: not a time datetime can show
            pass
    return None, escape(text)


def _head(entry):
    """'IDENTIFIER[PID]:' as journalctl's short output shows it: the syslog identifier,
    else the command name; the PID when the entry has one."""
    identifier = _text(entry.get("SYSLOG_IDENTIFIER"))
    if identifier is None:
        identifier = _text(entry.get("_COMM"))
    pid = _text(entry.get("_PID"))
    head = escape(identifier if identifier is not None else "unknown")
    return "%s[%s]:" % (head, escape(pid)) if pid is not None else head + ":"


def entries(host, text):
    """([[microseconds, host, order, time text, head, message lines]], lines left out) of
    one host's `journalctl --output=json` output, split on \\n only: the only line break
    journalctl writes between entries (inside a JSON string, every other character may
    stand). An entry whose time does not parse is shown with its time as it is, and sorts
    right after the entry before it on its host. An entry without MESSAGE is left out (as
    journalctl's text formats do); a null MESSAGE, too large to be shown, says so. Lines
    that are not a JSON object (no journalctl JSON output writes one) are counted."""
    found = []
    skipped = 0
    previous = -1  # before every real time: a first entry without one comes first
    for line in (text or "").split("\n"):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: arrays nested too deep
            entry = None
        if not isinstance(entry, dict):
            skipped += 0 if line.startswith("-- ") else 1  # journalctl's own notes: not entries
            continue
        if "MESSAGE" not in entry:
            continue
        message = _text(entry["MESSAGE"])
        if message is None:
            message = "[message not shown: too long for journalctl --output=json without --all]"
        microseconds, shown = _time(entry)
        if microseconds is None:
            microseconds = previous
        previous = microseconds
        # A message's own line breaks (\n) make continuation lines; a final one adds none.
        lines = [escape(part) for part in message.rstrip("\n").split("\n")]
        found.append([microseconds, host, len(found), shown, _head(entry), lines])
    return found, skipped


def log_stream(outputs):
    """{host: `journalctl --output=json` output (None: the host read none)} -> lines
    'TIME HOST IDENTIFIER[PID]: MESSAGE', oldest first. Entries of the same moment keep
    their host's order (by host name, then as the journal gave them). A message's further
    lines follow it indented to where its message starts: no such line can start with a
    time and a host, as every entry's line does."""
    merged = []
    notes = []
    for host in sorted(outputs):
        found, skipped = entries(host, outputs[host])
        merged += found
        if skipped:
            notes.append("-- %s: %d lines that are not journalctl JSON entries left out --" % (host, skipped))
    merged.sort(key=lambda e: (e[0], e[1], e[2]))
    lines = []
    for _microseconds, host, _order, shown, head, message in merged:
        prefix = "%s %s %s " % (shown, host, head)
        # No space at the end of a line (an empty message): see below.
        lines.append(prefix + message[0] if message[0] else prefix.rstrip(" "))
        # An empty line stays empty: an indented blank line would end in spaces, which
        # turns the yaml callback's block of lines into one quoted string.
        lines += [" " * len(prefix) + part if part else "" for part in message[1:]]
    return (lines or [NO_ENTRIES]) + notes
