"""The host's state files are read as UTF-8 whatever the host's locale.

A module runs in whatever locale the SSH session gives it: under LANG=C without Python's
UTF-8 mode, open() decodes ASCII, and a state file or lease with a non-ASCII byte (a
revision, a user's name) was a traceback instead of its content.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.procfile.systemd.plugins.module_utils.files import read_text
from ansible_collections.procfile.systemd.plugins.module_utils.lock import read_holder

IN_AN_ASCII_LOCALE = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0",
                          PYTHONCOERCECLOCALE="0", PYTHONIOENCODING="utf-8",
                          PYTHONPATH=os.pathsep.join(sys.path))
CHILD = """
import json, sys
from ansible_collections.procfile.systemd.plugins.module_utils.files import read_text
from ansible_collections.procfile.systemd.plugins.module_utils.lock import read_holder
print(json.dumps({"text": read_text(sys.argv[1]), "holder": read_holder(sys.argv[2])}))
"""
REVISION = u"r\u00e9vision-2\n"
HOLDER = {"token": "ctl:boot:100:5", "user": u"jos\u00e9", "pid": 100}


def read_in_child(text_path, lock_path):
    child = subprocess.run([sys.executable, "-c", CHILD, text_path, lock_path],
                           env=IN_AN_ASCII_LOCALE, capture_output=True, check=False)
    assert child.returncode == 0, child.stderr.decode("utf-8", "replace")
    return json.loads(child.stdout.decode("utf-8"))


def test_state_and_lease_read_as_utf8_under_an_ascii_locale(tmp_path):
    text_path, lock_path = tmp_path / "fingerprint", tmp_path / "shop.lock"
    text_path.write_bytes(REVISION.encode("utf-8"))
    lock_path.write_bytes(json.dumps(HOLDER, ensure_ascii=False).encode("utf-8"))
    here = {"text": read_text(str(text_path)), "holder": read_holder(str(lock_path))}
    assert here == {"text": REVISION.strip(), "holder": HOLDER}
    assert read_in_child(str(text_path), str(lock_path)) == here


def test_bytes_that_are_not_utf8_read_as_different_never_as_missing(tmp_path):
    path = tmp_path / "paused.json"
    path.write_bytes(b'{"instances": "\xff"}')
    assert read_text(str(path)) == u'{"instances": "\ufffd"}'
    lock = tmp_path / "shop.lock"
    lock.write_bytes(b"\xfe\xff")
    assert read_holder(str(lock)) == {"token": "unreadable", "content": u"\ufffd\ufffd"}
