# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell variables a Procfile command uses, and those nothing defines.

A command runs under /bin/sh -c (or procfile_shell), so a $NAME that neither the app's
environment nor systemd, the shell or the role defines expands to nothing: a port or a
URL silently empty. Reading commands the way the shell does (quotes, escapes, ${...}
operators) lets procfile_info name such a variable before anything is deployed. Its own
module: it knows the shell's rules, not the Procfile's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Variables every process gets without the user defining them: systemd's own
# (HOME, USER, LOGNAME, SHELL, PATH, INVOCATION_ID ...), the shell's, and the ones the
# role sets per instance (PORT, UNIQUE_INT, DYNO, PS, PROCFILE_*).
BUILTIN_VARIABLES = frozenset((
    "PORT", "UNIQUE_INT", "DYNO", "PS", "PROCFILE_APP", "PROCFILE_TYPE",
    "HOME", "PATH", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "IFS", "PPID",
    "LANG", "INVOCATION_ID", "JOURNAL_STREAM", "RUNTIME_DIRECTORY", "STATE_DIRECTORY",
    "OPTIND", "OPTARG",
))

# What bash sets by itself (a command run under procfile_shell: /bin/bash can use them;
# dash sets none of them, and $RANDOM is empty there).
BASH_VARIABLES = frozenset((
    "RANDOM", "SRANDOM", "SECONDS", "LINENO", "BASH", "BASHPID", "BASH_VERSION",
    "BASH_VERSINFO", "BASH_SOURCE", "BASH_LINENO", "BASH_SUBSHELL", "BASHOPTS", "SHELLOPTS",
    "EPOCHSECONDS", "EPOCHREALTIME", "HOSTNAME", "HOSTTYPE", "MACHTYPE", "OSTYPE", "UID",
    "EUID", "GROUPS", "PIPESTATUS", "FUNCNAME", "SHLVL", "DIRSTACK", "HISTCMD", "REPLY",
))

SHELL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The operators of ${NAME<op>WORD}: which ones make an unset NAME harmless, and when
# the shell expands WORD.
DEFAULT_OPERATORS = (":-", ":=", "-", "=")      # WORD when NAME is unset (or empty)
ALTERNATIVE_OPERATORS = (":+", "+")             # WORD when NAME is set
ERROR_OPERATORS = (":?", "?")                   # NAME needed; WORD is the error text


def referenced_variables(command):
    """Names of variables a command references as $NAME or ${NAME...}.

    Single-quoted text, $$ (the shell's PID) and \\$ are not references; positional and
    special parameters ($1, $@, $?) are not variables anyone defines. Every name counts,
    in ${A:-$B} both A and B, in order of first use; ${#NAME}, NAME's length, uses NAME.
    """
    return _unique(_scan(command, None))


def undefined_variables(processes, environment, shells=None):
    """Per process, the variables its command needs that nothing defines.

    A variable with a default (${VAR:-x}, ${VAR-x}, ${VAR:=x}, ${VAR=x}) or an
    alternative (${VAR:+x}, ${VAR+x}) is not needed; ${VAR:?msg}, ${VAR} and $VAR are.
    See needed_variables for the text after the operator. SHELLS ({type: shell}, "*" for
    the others) says which processes run under bash, which defines BASH_VARIABLES.
    """
    defined = set(environment or ()) | BUILTIN_VARIABLES
    shells = shells or {}
    result = {}
    for process in processes:
        shell = shells.get(process["name"]) or shells.get("*") or "/bin/sh"
        under_bash = shell.rsplit("/", 1)[-1] == "bash"
        missing = needed_variables(process["command"],
                                   defined | BASH_VARIABLES if under_bash else defined)
        if missing:
            result[process["name"]] = missing
    return result


def needed_variables(command, defined):
    """Variables COMMAND needs that are not in DEFINED, in order of first use.

    Read as the shell reads it: single quotes (outside double quotes), \\$ and $$ hide
    nothing else. In ${A:-WORD} (and :=, -, =) the variables of WORD count only when A
    is not defined, since only then does the shell expand WORD: ${A:-$B} needs B when
    A is undefined and nothing when A is. In ${A:+WORD} WORD counts only when A is
    defined. The text of ${A:?msg} is only the error message and never counts. Values
    are not known here: a defined variable is taken as set and not empty.
    """
    return _unique(_scan(command, defined))


def _unique(names):
    seen = set()
    return [x for x in names if not (x in seen or seen.add(x))]


def _scan(command, defined):
    """The names COMMAND uses, repeats included. DEFINED None: every name it references;
    a set: only the names it needs that are not in DEFINED (see needed_variables)."""
    out = []
    _scan_text(command, 0, False, None, defined, out, True)
    return out


def _scan_text(text, i, in_double, stop, defined, out, reached):
    """Read TEXT from I up to STOP ('}' of a ${...} at the same quoting, or None for the
    end) and return where it stopped. REACHED: whether the shell expands this text at
    all; when not, it is only read past."""
    n = len(text)
    outer_double = in_double
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and not in_double:
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == '"':
            in_double = not in_double
            i += 1
            continue
        if stop and c == stop and in_double == outer_double:
            return i
        if c == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                i += 2
                continue
            if nxt == "{":
                i = _scan_braced(text, i + 2, in_double, defined, out, reached)
                continue
            match = SHELL_NAME_RE.match(text, i + 1)
            if match:
                if reached and (defined is None or match.group(0) not in defined):
                    out.append(match.group(0))
                i = match.end()
                continue
        i += 1
    return n


def _scan_braced(text, i, in_double, defined, out, reached):
    """Read a ${...} whose name starts at I; return the index after it."""
    n = len(text)
    length = text.startswith("#", i)  # ${#NAME}: the length of NAME's value
    match = SHELL_NAME_RE.match(text, i + 1 if length else i)
    if not match:
        return i  # not a variable (${1}, ${@}, "${ A}"): read on from there
    name = match.group(0)
    k = match.end()
    operator = None
    for candidate in DEFAULT_OPERATORS + ALTERNATIVE_OPERATORS + ERROR_OPERATORS:
        if not length and text.startswith(candidate, k):
            operator = candidate
            break
    if defined is None:
        # Every reference counts, whatever the operator: NAME and all of WORD.
        out.append(name)
        word_reached = reached
    elif operator in DEFAULT_OPERATORS:
        word_reached = reached and name not in defined
    elif operator in ALTERNATIVE_OPERATORS:
        word_reached = reached and name in defined
    else:
        # Plain, :?, or any other form (${A%x}, ${A#x}, ${A:1}): A itself is needed.
        if reached and name not in defined:
            out.append(name)
        word_reached = reached and operator not in ERROR_OPERATORS
    start = k + len(operator or "")
    if start < n and text[start] == "}":
        return start + 1
    end = _scan_text(text, start, in_double, "}", defined, out, word_reached)
    return end + 1 if end < n else n
