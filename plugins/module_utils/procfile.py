# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Procfile parsing shared by the procfile.systemd modules and their unit tests.

The rules are strict on purpose: a Procfile that a peer tool would half-understand
(silently dropping a line it could not read) is an error here, named by file, line
number and rule, so that nothing is deployed from a misread file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.procfile.systemd.plugins.module_utils.unprivileged import (
    ReadError,
    account,
    read_as,
    read_regular_file,
)

MAX_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 63
RELEASE = "release"
UNIQUE_INT_PLACEHOLDER = "{{UNIQUE_INT}}"

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

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")
LINE_END_RE = re.compile(r"\r\n|\r|\n")
# Control characters have no place in a command and could not be written into a unit
# file faithfully; a tab is ordinary whitespace for the shell and is allowed.
CONTROL_RE = re.compile(u"[\x00-\x08\x0b-\x1f\x7f]")
CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")
SHELL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LINE_END_BYTES_RE = re.compile(b"\r\n|\r|\n")
# Longest first: a UTF-32 little-endian mark begins with the UTF-16 one.
UNICODE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
# What an environment name may be: it becomes part of a file name (Procfile.<env>).
ENV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")


class ProcfileError(Exception):
    """A Procfile that cannot be used, with where and why."""

    def __init__(self, source, line, rule, detail):
        self.source = source
        self.line = line
        self.rule = rule
        self.detail = detail
        where = "%s, line %d" % (source, line) if line else source
        super(ProcfileError, self).__init__("%s: %s [rule: %s]" % (where, detail, rule))

    def to_dict(self):
        return {"file": self.source, "line": self.line, "rule": self.rule,
                "detail": self.detail, "msg": str(self)}


def count_variable(name):
    """The inventory variable that sets how many instances of a type run."""
    return name.replace("-", "_") + "_count"


def _too_large(source, size):
    """SIZE: the file's size in bytes, or None when only "over the limit" is known."""
    return ProcfileError(source, 0, "size",
                         "file is %s bytes; a Procfile may have at most %d (1 MiB)"
                         % ("more than %d" % MAX_BYTES if size is None else "%d" % size,
                            MAX_BYTES))


def decode(data, source):
    """Bytes of a Procfile as text: UTF-8, a leading BOM ignored, size-capped.

    DATA is the whole file (read_procfile checks the size of a file it read in part).
    """
    if len(data) > MAX_BYTES:
        raise _too_large(source, len(data))
    for mark, encoding in UNICODE_BOMS:
        if data.startswith(mark):
            raise ProcfileError(source, 1, "encoding",
                                "the file starts with a %s byte order mark: it is %s text, "
                                "not UTF-8; save it as UTF-8" % (encoding, encoding.split()[0]))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Lines are counted as split_lines counts them: CRLF, CR and LF each end one.
        line = len(LINE_END_BYTES_RE.findall(data[:exc.start])) + 1
        raise ProcfileError(source, line, "encoding",
                            "byte 0x%02x is not valid UTF-8; a Procfile must be UTF-8 text"
                            % data[exc.start])


def split_lines(text):
    """\\n, \\r\\n and a lone \\r all end a line; a last line without one counts."""
    lines = LINE_END_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_blank_or_comment(line):
    stripped = line.strip(" \t")
    return stripped == "" or stripped.startswith("#")


def parse(text, source="Procfile", strict=False, warnings=None):
    """Parse Procfile text into a list of process dicts, in file order.

    Raises ProcfileError naming the line and rule of the first problem found. A line
    that peer tools read differently but that is clear here (NAME : COMMAND) is added to
    WARNINGS (a list, as "where: what [rule: ...]" text), or is an error when STRICT.
    """
    if isinstance(text, bytes):
        text = decode(text, source)  # strips a leading BOM itself
    else:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise ProcfileError(source, 0, "size", "text is larger than 1 MiB")
        if text.startswith(u"\ufeff"):
            text = text[1:]

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
                            % _shorten(line))
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
                            % (_shorten(name), len(name), MAX_NAME_LENGTH))
    if not NAME_RE.match(name):
        raise ProcfileError(source, number, "name",
                            "invalid process name %r: use letters, digits, '-' and '_', "
                            "starting with a letter or digit" % _shorten(name))


def _shorten(text, limit=60):
    return text if len(text) <= limit else text[:limit] + u"…"


def referenced_variables(command):
    """Names of variables a command references as $NAME or ${NAME...}.

    Single-quoted text, $$ (the shell's PID) and \\$ are not references; positional and
    special parameters ($1, $@, $?) are not variables anyone defines.
    """
    names = []
    i = 0
    n = len(command)
    in_double = False
    while i < n:
        c = command[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and not in_double:
            end = command.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == '"':
            in_double = not in_double
            i += 1
            continue
        if c == "$" and i + 1 < n:
            nxt = command[i + 1]
            if nxt == "$":
                i += 2
                continue
            if nxt == "{":
                # ${#NAME}, NAME's length, uses NAME too (needed_variables agrees).
                start = i + 3 if command.startswith("#", i + 2) else i + 2
                match = SHELL_NAME_RE.match(command, start)
                if match:
                    names.append(match.group(0))
                i += 2
                continue
            match = SHELL_NAME_RE.match(command, i + 1)
            if match:
                names.append(match.group(0))
                i = match.end()
                continue
        i += 1
    seen = set()
    return [x for x in names if not (x in seen or seen.add(x))]


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


# The operators of ${NAME<op>WORD}: which ones make an unset NAME harmless, and when
# the shell expands WORD.
DEFAULT_OPERATORS = (":-", ":=", "-", "=")      # WORD when NAME is unset (or empty)
ALTERNATIVE_OPERATORS = (":+", "+")             # WORD when NAME is set
ERROR_OPERATORS = (":?", "?")                   # NAME needed; WORD is the error text


def needed_variables(command, defined):
    """Variables COMMAND needs that are not in DEFINED, in order of first use.

    Read as the shell reads it: single quotes (outside double quotes), \\$ and $$ hide
    nothing else. In ${A:-WORD} (and :=, -, =) the variables of WORD count only when A
    is not defined, since only then does the shell expand WORD: ${A:-$B} needs B when
    A is undefined and nothing when A is. In ${A:+WORD} WORD counts only when A is
    defined. The text of ${A:?msg} is only the error message and never counts. Values
    are not known here: a defined variable is taken as set and not empty.
    """
    out = []
    _scan_needed(command, 0, False, None, defined, out, True)
    seen = set()
    return [x for x in out if not (x in seen or seen.add(x))]


def _scan_needed(text, i, in_double, stop, defined, out, reached):
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
                if reached and match.group(0) not in defined:
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
    is_defined = name in defined
    if operator in DEFAULT_OPERATORS:
        word_reached = reached and not is_defined
    elif operator in ALTERNATIVE_OPERATORS:
        word_reached = reached and is_defined
    else:
        # Plain, :?, or any other form (${A%x}, ${A#x}, ${A:1}): A itself is needed.
        if reached and not is_defined:
            out.append(name)
        word_reached = reached and operator not in ERROR_OPERATORS
    start = k + len(operator or "")
    if start < n and text[start] == "}":
        return start + 1
    end = _scan_needed(text, start, in_double, "}", defined, out, word_reached)
    return end + 1 if end < n else n


def select_procfile(path, env=None, env_strict=False, warnings=None):
    """Which file to read for PATH (a directory or a file) and ENV, and why.

    In a directory with ENV set, the variant is Procfile.<env> (the common spelling) or
    Procfile_<env> (Cloud 66's); both at once is an error, since either could be the
    one meant. With neither, Procfile is used and a warning added to WARNINGS, or, when
    ENV_STRICT, it is an error. Returns (file path, reason); raises ProcfileError.
    """
    if os.path.isdir(path):
        default = os.path.join(path, "Procfile")
        if env:
            if not ENV_RE.match(env):
                raise ProcfileError(path, 0, "env",
                                    "env %r is not a usable name: it becomes part of a file "
                                    "name (Procfile.<env>); use letters, digits, '.', '-' and "
                                    "'_', starting with a letter or digit" % _shorten(env))
            spellings = ["Procfile.%s" % env, "Procfile_%s" % env]
            found = [x for x in spellings if os.path.isfile(os.path.join(path, x))]
            if len(found) == 2:
                raise ProcfileError(path, 0, "ambiguous-variant",
                                    "both %s and %s exist for env %r in %s; remove or rename "
                                    "one, so that which file is deployed is clear"
                                    % (found[0], found[1], env, path))
            if found:
                return os.path.join(path, found[0]), "%s exists for env %r" % (found[0], env)
            missing = "env %r: neither %s nor %s exists in %s" % (
                env, spellings[0], spellings[1], path)
            if env_strict:
                raise ProcfileError(path, 0, "missing-variant",
                                    "%s (env_strict: true, so Procfile is not used instead)"
                                    % missing)
            if os.path.isfile(default):
                reason = "%s; using Procfile" % missing
                if warnings is not None:
                    warnings.append(reason)
                return default, reason
        elif os.path.isfile(default):
            return default, "no env given; using Procfile"
        raise ProcfileError(path, 0, "missing",
                            "no Procfile%s in directory %s"
                            % (", Procfile.%s or Procfile_%s" % (env, env) if env else "",
                               path))
    if os.path.isfile(path):
        return path, "path is a file"
    raise ProcfileError(path, 0, "missing", "no such file or directory: %s" % path)


def confined(path, root):
    """Refuse a Procfile that is, or is reached through, a link leading out of ROOT.

    A link inside the app's directory (Procfile -> Procfile.production) is followed; one
    that leaves it is refused without reading anything, and the message never shows
    what the target holds.
    """
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if real != real_root and not real.startswith(real_root.rstrip("/") + "/"):
        raise ProcfileError(path, 0, "outside-root",
                            "leads out of %s (to %s) through a symbolic link; a Procfile must "
                            "be a file of the app's own directory, so it was not read"
                            % (root, real))
    return real


def read_procfile(path, root=None, as_user=None, strict=False, warnings=None):
    """Read and parse a Procfile from disk.

    ROOT (default: the file's directory) confines links, see confined(). AS_USER: the
    account that may have written the app's code: the file is read by a child process
    running as that user (see unprivileged), so that no link, hard link or swapped
    directory can make root read a file the user could not. Without such an account
    (not created yet, or root) the file is read as root. STRICT, WARNINGS: see parse().
    """
    real = confined(path, root if root is not None else os.path.dirname(path) or ".")
    ids = account(as_user) if as_user else None
    unprivileged = ids is not None and ids[0] != 0
    try:
        # At most one byte over the limit is read, so the size is the file's own (below).
        data = read_as(real, ids, MAX_BYTES) if unprivileged else read_regular_file(real, MAX_BYTES)
    except ReadError as exc:
        if exc.reason == "not-regular":
            raise ProcfileError(path, 0, "not-regular",
                                "is not a regular file (a FIFO, device or directory); not read")
        who = " as the app's user %r (its processes run as that user and must be able to "\
              "read their code)" % as_user if unprivileged else ""
        raise ProcfileError(path, 0, "read", "cannot read%s: %s" % (who, exc.detail))
    if len(data) > MAX_BYTES:
        raise _too_large(path, _file_size(real))
    return parse(data, path, strict=strict, warnings=warnings)


def _file_size(path):
    """The size of a file read only in part, or None when it is no longer over the limit
    (it changed since) or cannot be looked at: then the message says "more than"."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    return size if size > MAX_BYTES else None
