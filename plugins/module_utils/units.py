# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quoting for systemd unit files, and the names procfile.systemd gives its units.

systemd reads ``ExecStart=`` with rules of its own: ``%`` starts a specifier, ``$``
expands an environment variable, ``\\`` starts a C escape, quotes group words and an
unquoted ``;`` separates commands. A Procfile command must reach ``/bin/sh -c`` byte for
byte, so it is written as one double-quoted word with each of those escaped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

UNIQUE_INT_PLACEHOLDER = "{{UNIQUE_INT}}"
MARKER_APP = "X-ProcfileApp"
MARKER_TYPE = "X-ProcfileType"
MARKER_BASE_PORT = "X-ProcfileBasePort"
# The type's front-proxy list (its `upstream` setting, as key=value words): when the type
# leaves the Procfile, its settings go too, and this is how the next deploy finds the file.
MARKER_UPSTREAM = "X-ProcfileUpstream"
# A scheduled type's timer: its schedule as the user wrote it (a cron line or a calendar
# expression), for --tags status; OnCalendar= holds what systemd reads.
MARKER_SCHEDULE = "X-ProcfileSchedule"
APP_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
# The signals a process type may stop with (its stop_signal setting, the unit's
# KillSignal), in the order messages list them, with their numbers on Linux, where the
# units run (not the controller's, which may differ): a shell killed by signal N exits
# with 128 + N, which the unit counts as success (SuccessExitStatus). The role's
# validation and its template (filter signal_number) both read this table.
STOP_SIGNALS = (("TERM", 15), ("INT", 2), ("QUIT", 3), ("HUP", 1), ("USR1", 10),
                ("USR2", 12), ("TSTP", 20), ("WINCH", 28), ("KILL", 9), ("CONT", 18))


def app_name_error(app):
    """Why APP cannot name an app's units, or None: the check every module makes first."""
    if not APP_RE.match(app or ""):
        return "app %r: use lowercase letters, digits and '-'" % app
    return None


ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")

_EXEC_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "$": "$$",
    "%": "%%",
    "\t": "\\t",
}


def exec_word(text):
    """TEXT as one double-quoted word of an ExecStart= line, taken literally by systemd."""
    if any(c in text for c in "\n\r\x00"):
        raise ValueError("a command cannot contain a line break or NUL byte")
    return '"' + "".join(_EXEC_ESCAPES.get(c, c) for c in text) + '"'


def exec_command(command, instance="%i"):
    """A Procfile command as a quoted ExecStart= word; {{UNIQUE_INT}} becomes INSTANCE.

    INSTANCE is the specifier %i in template units (systemd puts the instance number
    there), or a literal number.
    """
    return exec_word(command).replace(UNIQUE_INT_PLACEHOLDER, instance)


# A byte below space or DEL: a line break ends the setting and starts one of the value's
# author's choosing (ExecStartPre=+... runs as root); the others have no business in a
# unit file and terminals render some of them as line breaks.
_UNIT_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def unit_value(value, specifiers=False):
    """VALUE written as the value of a unit file setting other than ExecStart=, read back
    by systemd as it is: every value the role puts into a unit goes through here.

    A line break or other control character is refused (it would end the setting), and
    so is a final backslash (systemd joins the next line to it). A % becomes %% so that
    systemd expands no specifier in it, unless SPECIFIERS: the value is the user's own
    setting (procfile_process_settings.<type>.service), where %i and the like are theirs
    to use, or one where systemd expands none (MemoryMax=50%)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a value for a unit file setting")
    text = str(value)
    found = _UNIT_CONTROL_RE.search(text)
    if found:
        raise ValueError("contains the control character %r, which would end the unit "
                         "file's line" % found.group(0))
    if text.endswith("\\"):
        raise ValueError("ends in a backslash, which would join the next line of the unit file "
                         "to it")
    return text if specifiers else text.replace("%", "%%")


def env_file_value(value):
    """VALUE double-quoted for an EnvironmentFile=, arriving in the process exactly.

    Inside double quotes systemd's env-file parser unescapes only \\\\, \\", \\` and \\$,
    keeps every other byte (line breaks included) and expands nothing.
    """
    if "\x00" in value:
        raise ValueError("an environment value cannot contain a NUL byte")
    out = []
    for c in value:
        if c in '\\"`$':
            out.append("\\")
        out.append(c)
    return '"' + "".join(out) + '"'


def template_name(app, process_type):
    return "%s-%s@.service" % (app, process_type)


def instance_name(app, process_type, number):
    return "%s-%s@%d.service" % (app, process_type, number)


def target_name(app):
    return "%s.target" % app


def timer_name(app, process_type):
    """A scheduled type's timer: one per type and host, never an instance."""
    return "%s-%s.timer" % (app, process_type)


def scheduled_name(app, process_type):
    """The service a scheduled type's timer starts (the timer's default Unit=)."""
    return "%s-%s.service" % (app, process_type)


def release_name(app):
    return "%s-release.service" % app
