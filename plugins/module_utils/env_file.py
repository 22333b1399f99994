# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An app's environment file read the way systemd reads an EnvironmentFile=, for the
names of its variables only.

The role writes each variable as NAME="value" (units.env_file_value): double-quoted,
with \\, ", ` and $ escaped and line breaks kept inside the quotes, so one value may
span several lines, and a line of it may hold "=" (a PEM key's base64). Read line by
line, such a line would pass for a variable and the --diff would print it. Here the
file goes through the same state machine as systemd's parser (parse_env_file_internal
in src/basic/env-file.c, as in systemd 247 to 257, the versions the collection supports:
they differ only after a comment that ends in a backslash, see COMMENT_ESCAPE), which
also copes with what a hand-edited file may hold:
unquoted and single-quoted values, comments (# and ;), blank lines, line
continuations, and a quote that never closes (the value runs to the end of the file).

Nothing here returns a value: a digest of each one says whether it changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

# systemd's sets (string-util.h, escape.h): a line break is \n or \r outside quotes.
WHITESPACE = " \t\n\r"
NEWLINE = "\n\r"
COMMENTS = "#;"
NEEDS_ESCAPE = "\"\\`$"
# The names systemd passes to the process (env_name_is_valid: bash's); it drops the
# others when it builds the environment, and units.ENV_NAME_RE allows no other.
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")

(PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE, DOUBLE_QUOTE,
 DOUBLE_QUOTE_ESCAPE, COMMENT, COMMENT_ESCAPE) = range(10)
# At the end of the file, an assignment in one of these states still counts (an
# unterminated quote included), as in systemd.
OPEN_VALUE = (PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE, DOUBLE_QUOTE, DOUBLE_QUOTE_ESCAPE)


def _assignments(text):
    """[(key, value)] of TEXT in order, exactly as systemd's parser pushes them.

    Private: the values stay in this module (variables() keeps only their digests)."""
    found = []
    state = PRE_KEY
    key, value = [], []
    key_ws = value_ws = None  # where trailing whitespace starts, to strip it

    def push(strip_value):
        name = "".join(key[:key_ws] if key_ws is not None else key)
        data = value[:value_ws] if strip_value and value_ws is not None else value
        found.append((name, "".join(data)))

    for c in text or "":
        if c == "\x00":
            # systemd reads the file as a C string: nothing after a NUL exists for it.
            break
        if state == PRE_KEY:
            if c in COMMENTS:
                state = COMMENT
            elif c not in WHITESPACE:
                state, key, key_ws = KEY, [c], None
        elif state == KEY:
            if c in NEWLINE:
                # A line without "=" assigns nothing.
                state, key = PRE_KEY, []
            elif c == "=":
                state, value, value_ws = PRE_VALUE, [], None
            else:
                if c not in WHITESPACE:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == PRE_VALUE:
            if c in NEWLINE:
                push(False)
                state, key, value = PRE_KEY, [], []
            elif c == "'":
                state = SINGLE_QUOTE
            elif c == '"':
                state = DOUBLE_QUOTE
            elif c == "\\":
                state = VALUE_ESCAPE
            elif c not in WHITESPACE:
                state = VALUE
                value.append(c)
        elif state == VALUE:
            if c in NEWLINE:
                push(True)
                state, key, value = PRE_KEY, [], []
            elif c == "\\":
                state, value_ws = VALUE_ESCAPE, None
            else:
                if c not in WHITESPACE:
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == VALUE_ESCAPE:
            state = VALUE
            # A backslash before a line break continues the value on the next line.
            if c not in NEWLINE:
                value.append(c)
        elif state == SINGLE_QUOTE:
            if c == "'":
                state = PRE_VALUE
            else:
                value.append(c)
        elif state == DOUBLE_QUOTE:
            if c == '"':
                state = PRE_VALUE
            elif c == "\\":
                state = DOUBLE_QUOTE_ESCAPE
            else:
                value.append(c)
        elif state == DOUBLE_QUOTE_ESCAPE:
            state = DOUBLE_QUOTE
            if c in NEEDS_ESCAPE:
                value.append(c)
            elif c != "\n":
                # Like the shell, systemd keeps a backslash that escapes nothing.
                value.extend(("\\", c))
        elif state == COMMENT:
            if c == "\\":
                state = COMMENT_ESCAPE
            elif c in NEWLINE:
                state = PRE_KEY
        else:
            # COMMENT_ESCAPE. Up to systemd 253 (Debian 12, Ubuntu 22.04, RHEL 9), a
            # backslash at the end of a comment makes the next line a comment too; 254
            # reads that line as an assignment. The older rule is kept: it shows less.
            state = COMMENT
    if state in OPEN_VALUE:
        push(state == VALUE)
    return found


def digest(value):
    """What a value is compared by: never shown, never returned with its name's text."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def variables(text):
    """The variables of environment file TEXT: ({name: digest of its value}, the number
    of assignments whose name is no variable name).

    A name assigned twice keeps its last value, as in systemd. An assignment whose name
    is not a variable name (a hand-edited line such as `export X=1`, or a stray line of
    an unquoted multi-line value) is only counted: systemd drops it, and its text may be
    part of a secret."""
    names, others = {}, 0
    for name, value in _assignments(text):
        if NAME_RE.match(name):
            names[name] = digest(value)
        else:
            others += 1
    return names, others
