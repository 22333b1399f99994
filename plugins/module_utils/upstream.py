# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A front proxy's list of a process type's live instances, kept in step with them.

Per type, an `upstream` setting names a file in the proxy's own syntax (an nginx
`upstream` block, or an HAProxy `backend` section) and the proxy's unit. The deploy
publishes the list at the moments that keep the proxy off instances that are stopping or
not yet healthy: an instance leaves the list (the proxy reloaded) before it stops, and
joins once it answers its health check. The proxy and its site configuration are the
user's; only this file is the collection's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import time

from ansible_collections.procfile.systemd.plugins.module_utils.files import write_atomic_at
from ansible_collections.procfile.systemd.plugins.module_utils.listeners import (
    listening,
    read_tables,
    socket_inodes,
)
from ansible_collections.procfile.systemd.plugins.module_utils.proc import parent_pid
from ansible_collections.procfile.systemd.plugins.module_utils.safepath import (
    UnsafePath,
    only_root_can_write,
    open_dir,
    who_can_write,
)

FORMATS = ("nginx", "haproxy")
DEFAULT_RELOAD = {"nginx": "nginx.service", "haproxy": "haproxy.service"}
UPSTREAM_KEYS = ("path", "format", "name", "reload")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")
PATH_RE = re.compile(r"^/[A-Za-z0-9._+/-]*\Z")
UNIT_RE = re.compile(r"^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service\Z")
# nginx refuses an upstream without servers: a stopped app's list holds one marked down
# (the proxy answers 502 at once instead of failing to load).
NO_SERVER_PORT = 9
SETTLE_SECONDS = 10


def upstream_errors(where, value):
    """Why an `upstream` setting is wrong, one message per problem."""
    if not isinstance(value, dict):
        return ["%s must be a dict with path, format, name and reload (or null for none)" % where]
    errors = ["%s.%s: unknown key (known: %s)" % (where, key, ", ".join(UPSTREAM_KEYS))
              for key in sorted(set(value) - set(UPSTREAM_KEYS))]
    path = value.get("path")
    if not isinstance(path, str) or not PATH_RE.match(path) or "/../" in path + "/" \
            or path.endswith("/"):
        errors.append("%s.path %r: an absolute path to a file, without spaces, quotes, '..', "
                      "%% or $ (e.g. /etc/nginx/conf.d/shop-web.conf)" % (where, path))
    fmt = value.get("format", "nginx")
    if fmt not in FORMATS:
        errors.append("%s.format %r: one of %s" % (where, fmt, ", ".join(FORMATS)))
    name = value.get("name")
    if name is not None and not (isinstance(name, str) and NAME_RE.match(name)):
        errors.append("%s.name %r: letters, digits, '_', '.' and '-', at most 64" % (where, name))
    reload_unit = value.get("reload")
    if reload_unit is not None and not (isinstance(reload_unit, str) and UNIT_RE.match(reload_unit)):
        errors.append("%s.reload %r: the proxy's service unit, e.g. nginx.service"
                      % (where, reload_unit))
    return errors


def full_setting(app, process_type, value):
    """The setting with its defaults: format nginx, name <app>_<type>, reload the format's unit."""
    fmt = value.get("format") or "nginx"
    return dict(path=value["path"], format=fmt,
                name=value.get("name") or ("%s_%s" % (app, process_type)).replace("-", "_"),
                reload=value.get("reload") or DEFAULT_RELOAD.get(fmt, "nginx.service"))


def render(setting, app, process_type, members):
    """The file's text for MEMBERS ([(number, port)], sorted)."""
    header = ("# procfile.systemd: the live instances of %s's %s, rewritten on every deploy\n"
              "# that changes them. Do not edit; point your site configuration at %s.\n"
              % (app, process_type, setting["name"]))
    if setting["format"] == "haproxy":
        lines = ["backend %s" % setting["name"]]
        lines += ["    server %s.%d 127.0.0.1:%d check" % (process_type, n, port)
                  for n, port in members]
        if not members:
            lines.append("    # no instance is running")
        return header + "\n".join(lines) + "\n"
    lines = ["upstream %s {" % setting["name"]]
    lines += ["    server 127.0.0.1:%d;  # %s.%d" % (port, process_type, n) for n, port in members]
    if not members:
        lines.append("    server 127.0.0.1:%d down;  # no instance is running" % NO_SERVER_PORT)
    lines.append("}")
    return header + "\n".join(lines) + "\n"


def members_in(text, process_type):
    """Instance numbers a file render() wrote lists ("# web.3" in nginx's, "server web.3"
    in HAProxy's)."""
    return sorted(int(n) for n in re.findall(r"(?:#|server)\s+%s\.(\d+)\b" % re.escape(process_type),
                                             text or ""))


def open_parent(path, what):
    """The descriptor of the directory of upstream file PATH, reached through
    safepath.open_dir's checks (no link but root's on the way, every directory above it
    only root's), when only root can change it too. Raises UnsafePath naming WHAT.

    Every read and write of the file goes through this descriptor: root writes into the
    directory that was checked, never into one swapped in under its name since."""
    directory = os.path.dirname(path)
    fd = open_dir(directory, what=what, trusted_parents=True)
    if fd is None:
        raise UnsafePath("%s: its directory does not exist (is the proxy installed?)" % what)
    st = os.fstat(fd)
    if not only_root_can_write(st):
        os.close(fd)
        raise UnsafePath("%s: %s can be changed by %s; root writes this file, so only root "
                         "may change its directory" % (what, directory, who_can_write(st)))
    return fd


def read_in(dir_fd, name, what):
    """The text of file NAME in the directory open as DIR_FD (None when there is none),
    never through a link: a link's target is not this collection's to read and put back."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                     | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise UnsafePath("%s: exists and is not a regular file (a symbolic link)" % what)
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnsafePath("%s: exists and is not a regular file" % what)
        return handle.read().decode("utf-8", "replace")


def _accepting(pids):
    """The PIDS that hold a listening TCP socket (of any address): a proxy worker that
    holds one can still accept a connection."""
    if not pids:
        return set()
    listen = set()
    for text in read_tables():
        listen.update(inode for _address, _port, inode in listening(text))
    return set(pid for pid in pids if socket_inodes([pid]) & listen)


def _children(pid):
    if not pid:
        return set()
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and parent_pid(int(entry)) == pid:
            found.add(int(entry))
    return found


class Upstreams(object):
    """The upstream files of one app's types on this host, and their proxies' reloads."""

    def __init__(self, module, host, app, base_port, settings):
        self.module, self.host, self.app, self.base_port = module, host, app, base_port
        self.settings = dict((t, full_setting(app, t, s)) for t, s in (settings or {}).items()
                             if s)
        self.published = {}

    def check_paths(self):
        """Every file is written by root: its directory must be one only root can change.
        Returns the problems (empty when none)."""
        problems = []
        for t, s in sorted(self.settings.items()):
            what = self._what(t)
            try:
                fd = open_parent(s["path"], what)
            except UnsafePath as exc:
                problems.append(str(exc))
                continue
            try:
                st = os.stat(os.path.basename(s["path"]), dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                st = None
                if exc.errno != errno.ENOENT:
                    raise
            finally:
                os.close(fd)
            if st is not None and not stat.S_ISREG(st.st_mode):
                problems.append("%s: exists and is not a regular file" % what)
        return problems

    def _what(self, t):
        return "procfile_process_settings[%r].upstream.path %s" % (t, self.settings[t]["path"])

    def _in_dir(self, t, action, *args):
        """ACTION(dir_fd, file name, *ARGS) on type T's file, in its checked directory. A
        directory or file that has become unsafe since check_paths fails the module."""
        path = self.settings[t]["path"]
        try:
            fd = open_parent(path, self._what(t))
            try:
                return action(fd, os.path.basename(path), *args)
            finally:
                os.close(fd)
        except UnsafePath as exc:
            self.module.fail_json(msg="%s. Nothing was written through it." % exc,
                                  problems=[str(exc)])

    def _read(self, t):
        return self._in_dir(t, read_in, self._what(t))

    def _write(self, t, text):
        self._in_dir(t, write_atomic_at, text, 0o644)

    def _remove(self, t):
        self._in_dir(t, lambda fd, name: os.remove(name, dir_fd=fd))

    def text(self, t, numbers):
        members = [(n, self.base_port + n) for n in sorted(numbers)]
        return render(self.settings[t], self.app, t, members)

    def changes(self, numbers_by_type):
        """{path: (type, new text)} for the files that would change."""
        found = {}
        for t, s in self.settings.items():
            if t not in numbers_by_type:
                continue
            text = self.text(t, numbers_by_type[t])
            if self._read(t) != text:
                found[s["path"]] = (t, text)
        return found

    def publish(self, numbers_by_type):
        """Write the lists that change, check and reload their proxies, wait until each
        proxy runs its new configuration. A failed check or reload puts the previous
        files back and fails the module."""
        changed = self.changes(numbers_by_type)
        if not changed:
            return []
        previous = dict((path, (t, self._read(t))) for path, (t, _text) in changed.items())
        for path, (t, text) in changed.items():
            self._write(t, text)
        units = sorted(set(self.settings[t]["reload"] for t, _text in changed.values()))
        formats = set(self.settings[t]["format"] for t, _text in changed.values())
        problem = self._check(formats) or self._reload(units)
        if problem:
            for path, (t, text) in previous.items():
                if text is None:
                    self._remove(t)
                else:
                    self._write(t, text)
            self.module.fail_json(msg="%s. The previous upstream file(s) are back in place (%s); "
                                      "the proxy still runs its previous configuration."
                                  % (problem, ", ".join(sorted(previous))),
                                  upstream_files=sorted(previous))
        for path, (t, _text) in changed.items():
            self.published[t] = sorted(numbers_by_type[t])
        return sorted(changed)

    def retire(self, types, why="left the Procfile"):
        """Remove the files of TYPES (gone from the Procfile, their lists already empty and
        their instances stopped), where the proxy's configuration no longer needs them. A
        site that still refers to a list keeps it, empty, with a warning: removing it would
        leave the proxy unable to load its configuration. Returns the removed paths."""
        removed = []
        for t in sorted(types):
            setting = self.settings.get(t)
            text = self._read(t) if setting else None
            if text is None:
                continue
            self._remove(t)
            problem = self._check(set([setting["format"]])) or self._reload([setting["reload"]])
            if problem:
                self._write(t, text)
                self.module.warn(
                    "Type %s of app %s %s; its upstream file %s stays, listing no instance, "
                    "because the proxy's configuration still needs it (%s). Remove it once your "
                    "site no longer refers to %s."
                    % (t, self.app, why, setting["path"], problem, setting["name"]))
                continue
            removed.append(setting["path"])
        return removed

    def _check(self, formats):
        """Why the proxy would refuse its configuration as it is on disk now, or None."""
        if "nginx" in formats:
            nginx = self.module.get_bin_path("nginx")
            if nginx:
                rc, out, err = self.module.run_command([nginx, "-t", "-q"])
                if rc != 0:
                    return "nginx -t refused the configuration: %s" % (err or out).strip()
        return None

    def _reload(self, units):
        states = self.host.states(units, "Id,ActiveState,MainPID", check=False)
        for unit in units:
            state = states.get(unit, {})
            if state.get("ActiveState") != "active":
                # Not running: it reads the file when it starts.
                continue
            pid = int(state.get("MainPID") or 0)
            before = _children(pid)
            rc, out, err = self.module.run_command([self.host.systemctl, "reload", unit])
            if rc != 0:
                return "systemctl reload %s failed (rc %d): %s" % (unit, rc, (err or out).strip())
            # The reload returns before the proxy runs its new configuration: wait (bounded)
            # until a new worker is there, and until no worker of the old configuration can
            # accept a connection any more (nginx and HAProxy close an old worker's
            # listening sockets when it starts its graceful exit; it then only finishes the
            # requests it has). Until then an old worker may still route a new request by
            # the old list, to an instance that is about to stop: nginx then retries it on
            # another one, and a POST or a proxy without retries fails.
            deadline = time.time() + SETTLE_SECONDS
            while pid and before and time.time() < deadline and not (_children(pid) - before):
                time.sleep(0.05)
            while pid and before and time.time() < deadline and _accepting(before & _children(pid)):
                time.sleep(0.05)
        return None
