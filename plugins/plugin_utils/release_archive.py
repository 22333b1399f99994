# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One deterministic .tar.gz of an app's source directory, built on the controller.

The same tree gives the same bytes, whatever the files' times and owners: names sorted,
every member root's with time 0 of the archive's epoch (MTIME), modes 0755 (directories,
executables) or 0644, gzip header without a name or a time. Its sha256 then names the
code: the same code again is the same release on every host, which sends nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import gzip
import hashlib
import os
import stat
import tarfile
import tempfile

# 1980-01-01, the zip epoch: some tools refuse files older than that.
MTIME = 315532800
DEFAULT_CACHE = os.path.join("~", ".cache", "procfile-systemd", "archives")


class ArchiveError(Exception):
    pass


def excluded(rel, patterns):
    """Whether the relative path REL (with '/') is excluded: a pattern without '/'
    matches a name at any depth (.git, *.pyc), one with '/' the whole path from the
    source's top (log/*.log)."""
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        pattern = pattern.strip("/")
        if "/" in pattern:
            if fnmatch.fnmatchcase(rel, pattern):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def source_entries(source, patterns):
    """[(relative path, absolute path, lstat)] of SOURCE's tree, sorted, excluded ones
    (and everything under an excluded directory) left out."""
    entries = []

    def walk(rel_dir, abs_dir):
        try:
            names = sorted(os.listdir(abs_dir))
        except OSError as exc:
            raise ArchiveError("cannot read %s: %s" % (abs_dir, exc.strerror or exc))
        for name in names:
            rel = rel_dir + "/" + name if rel_dir else name
            if excluded(rel, patterns):
                continue
            full = os.path.join(abs_dir, name)
            st = os.lstat(full)
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                raise ArchiveError("%s is no file, directory or link (a socket, FIFO or device): "
                                   "exclude it with procfile_source_exclude" % full)
            entries.append((rel, full, st))
            if stat.S_ISDIR(st.st_mode):
                walk(rel, full)

    walk("", source)
    return entries


def _member(rel, full, st):
    info = tarfile.TarInfo(rel)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = MTIME
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(full)
        info.mode = 0o777
    else:
        info.type = tarfile.REGTYPE
        info.size = st.st_size
        info.mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
    return info


def build(source, patterns, cache_dir=None):
    """Archive the directory SOURCE into CACHE_DIR/<sha256>.tar.gz. Returns a dict with
    path, sha256, files (regular files in it) and members."""
    cache_dir = os.path.expanduser(cache_dir or DEFAULT_CACHE)
    if not os.path.isdir(cache_dir):
        os.makedirs(cache_dir, 0o700)
    entries = source_entries(source, patterns)
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=".tar.gz", dir=cache_dir)
    digest = hashlib.sha256()
    files = 0
    try:
        with os.fdopen(fd, "wb") as raw:
            class Hashing(object):
                def write(self, data):
                    digest.update(data)
                    return raw.write(data)

                def flush(self):
                    raw.flush()

            with gzip.GzipFile(filename="", mode="wb", fileobj=Hashing(), mtime=0, compresslevel=6) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for rel, full, st in entries:
                        info = _member(rel, full, st)
                        if info.isreg():
                            files += 1
                            with open(full, "rb") as f:
                                tar.addfile(info, f)
                        else:
                            tar.addfile(info)
        sha = digest.hexdigest()
        path = os.path.join(cache_dir, sha + ".tar.gz")
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return dict(path=path, sha256=sha, files=files, members=len(entries))


def take(archive):
    """A .tar.gz made elsewhere, as it is: its path, sha256 and number of files."""
    digest = hashlib.sha256()
    with open(archive, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError("%s is not a .tar.gz archive: %s" % (archive, exc))
    return dict(path=archive, sha256=digest.hexdigest(), files=sum(1 for m in members if m.isreg()),
                members=len(members))


PROCFILE_LIMIT = 1 << 20


def procfile_of(source, env=""):
    """(name, text) of the Procfile a release of SOURCE would be read from: Procfile.<env>
    or Procfile_<env> when ENV is set and one exists, else Procfile; (None, None) when
    there is none. Only for a check-mode run whose release is not on the host yet (the
    host cannot read it there); the real run reads it on the host, with every rule."""
    names = ["Procfile.%s" % env, "Procfile_%s" % env] if env else []
    names.append("Procfile")
    if os.path.isdir(source):
        for name in names:
            path = os.path.join(source, name)
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    return name, handle.read(PROCFILE_LIMIT).decode("utf-8", "replace")
        return None, None
    with tarfile.open(source, "r:gz") as tar:
        members = dict((m.name[2:] if m.name.startswith("./") else m.name, m)
                       for m in tar.getmembers() if m.isreg())
        for name in names:
            if name in members:
                return name, tar.extractfile(members[name]).read(PROCFILE_LIMIT).decode("utf-8", "replace")
    return None, None


def release_archive(source, patterns=(".git",), cache_dir=None, revision=""):
    """The archive of SOURCE (a directory, or a .tar.gz taken as it is) and the release's
    revision: REVISION when set, else the first 12 hex digits of the archive's sha256."""
    source = os.path.abspath(os.path.expanduser(source))
    if os.path.isdir(source):
        found = build(source, list(patterns or []), cache_dir)
    elif os.path.isfile(source) and (source.endswith(".tar.gz") or source.endswith(".tgz")):
        found = take(source)
    else:
        raise ArchiveError("procfile_source %s is neither a directory nor a .tar.gz file on the "
                           "controller" % source)
    found.update(source=source, revision=str(revision or "") or found["sha256"][:12])
    return found


def release_procfile(source, env=""):
    """What procfile_of finds in SOURCE, as {name, text} (both None when there is none)."""
    name, text = procfile_of(os.path.abspath(os.path.expanduser(source)), env)
    return dict(name=name, text=text)
