# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Procfile's lines as process entries: the rules of NAME: COMMAND.

The rules are strict on purpose: a Procfile that a peer tool would half-understand
(silently dropping a line it could not read) is an error here, named by file, line
number and rule, so that nothing is deployed from a misread file. Reading the file
(procfile_read), its bytes (procfile_decode) and the shell's variables
(shell_variables) are modules of their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.procfile_decode import (
    as_text,
    split_lines,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import (
    ProcfileError,
    shorten,
)
from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
    referenced_variables,
)

MAX_NAME_LENGTH = 63
RELEASE = "release"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")
# Control characters have no place in a command and could not be written into a unit
# file faithfully; a tab is ordinary whitespace for the shell and is allowed.
CONTROL_RE = re.compile(u"[\x00-\x08\x0b-\x1f\x7f]")
CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


def count_variable(name):
    """The inventory variable that sets how many instances of a type run."""
    return name.replace("-", "_") + "_count"


def _is_blank_or_comment(line):
    stripped = line.strip(" \t")
    return stripped == "" or stripped.startswith("#")


def parse(text, source="Procfile", strict=False, warnings=None):
    """Parse Procfile text into a list of process dicts, in file order.

    Raises ProcfileError naming the line and rule of the first problem found. A line
    that peer tools read differently but that is clear here (NAME : COMMAND) is added to
    WARNINGS (a list, as "where: what [rule: ...]" text), or is an error when STRICT.
    """
    text = as_text(text, source)

    processes = []
    by_name = {}
    by_count_var = {}
    # The line before, when it ended in a backslash: a line the shell would join to it.
    continued = 0
    for number, raw in enumerate(split_lines(text), start=1):
        if _is_blank_or_comment(raw):
            continued = 0
            continue
        line = raw.strip(" \t")
        if line.startswith(CONFLICT_MARKERS):
            raise ProcfileError(source, number, "merge-conflict",
                                "merge conflict marker %r: resolve the conflict first"
                                % line[:7])
        bad = CONTROL_RE.search(raw)
        if bad:
            raise ProcfileError(source, number, "control-character",
                                "control character U+%04X is not allowed"
                                % ord(bad.group(0)))
        # After a trailing backslash, an indented line, a '-' option or anything that is
        # no entry continues the command: say so, not "invalid process name '--bind ...'".
        # A trailing backslash before a valid entry, a blank line or the end is the
        # command's own last character and is kept.
        if continued and raw[:1] in (" ", "\t", "-"):
            raise _continuation(source, number, continued)
        try:
            written, name, command = _split_entry(line, source, number)
        except ProcfileError as exc:
            if continued and exc.rule in ("syntax", "name"):
                raise _continuation(source, number, continued)
            raise
        continued = number if _continues(line) else 0
        if written != name:
            _lenient(source, number, "space-before-colon",
                     "%r has whitespace before ':'; honcho and foreman ignore such a line "
                     "(the type would not run) and Heroku rejects the Procfile; write "
                     "'%s:'" % (written + ":", name), strict, warnings)
        if not command:
            raise ProcfileError(source, number, "empty-command",
                                "process %r has an empty command" % name)
        if name in by_name:
            raise ProcfileError(source, number, "duplicate-name",
                                "process %r is already defined on line %d; a type "
                                "has one command: to run two, join them on one line "
                                "('a && b') or put them in a script and call that"
                                % (name, by_name[name]["line"]))
        variable = count_variable(name)
        if variable in by_count_var:
            other = by_count_var[variable]
            raise ProcfileError(source, number, "count-variable-collision",
                                "processes %r (line %d) and %r both map to the inventory "
                                "variable %r; rename one" % (other["name"], other["line"],
                                                             name, variable))
        process = {
            "name": name,
            "command": command,
            "line": number,
            "variables": referenced_variables(command),
            "release": name == RELEASE,
            "count_variable": variable,
        }
        processes.append(process)
        by_name[name] = process
        by_count_var[variable] = process

    if not processes:
        raise ProcfileError(source, 0, "empty",
                            "no process entries (the file is empty or only comments)")
    return processes


def _split_entry(line, source, number):
    """(NAME as written, NAME, COMMAND) of an entry line, its name checked."""
    if ":" not in line:
        raise ProcfileError(source, number, "syntax",
                            "expected 'NAME: COMMAND', found no colon in %r"
                            % shorten(line))
    written, command = line.split(":", 1)
    name = written.strip(" \t")
    _check_name(name, source, number)
    return written, name, command.strip(" \t")


def _continuation(source, number, continued):
    return ProcfileError(source, number, "continuation",
                         "this line continues line %d, which ends with '\\'; continuation "
                         "lines are not supported (honcho and foreman would run line %d "
                         "alone and drop this one): write the command on one line, or put "
                         "it in a script (for example bin/web) and call that"
                         % (continued, continued))


def _continues(line):
    """True when LINE ends in an odd number of backslashes: the shell would join the
    next line to it (an even number is escaped backslashes)."""
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _lenient(source, number, rule, detail, strict, warnings):
    problem = ProcfileError(source, number, rule, detail)
    if strict:
        raise problem
    if warnings is not None:
        warnings.append(str(problem))


def _check_name(name, source, number):
    if not name:
        raise ProcfileError(source, number, "name",
                            "missing process name before ':'")
    if len(name) > MAX_NAME_LENGTH:
        raise ProcfileError(source, number, "name",
                            "process name %r is %d characters long; at most %d"
                            % (shorten(name), len(name), MAX_NAME_LENGTH))
    if not NAME_RE.match(name):
        raise ProcfileError(source, number, "name",
                            "invalid process name %r: use letters, digits, '-' and '_', "
                            "starting with a letter or digit" % shorten(name))
