"""UNIQUE_INT allocation: unique per app, stable, lowest free numbers, highest removed."""

import json
import os
import subprocess
import sys
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    allocate,
    enabled_instances,
    read_markers,
    scan_owned_units,
)

ORDER = ["web", "worker", "scheduler"]


def test_fresh_host_numbers_in_procfile_order():
    assert allocate({}, {"web": 2, "worker": 3, "scheduler": 1}, ORDER) == {
        "web": [1, 2], "worker": [3, 4, 5], "scheduler": [6]}


def test_scaling_one_type_never_renumbers_another():
    current = {"web": [1, 2], "worker": [3, 4, 5], "scheduler": [6]}
    assert allocate(current, {"web": 2, "worker": 5, "scheduler": 1}, ORDER) == {
        "web": [1, 2], "worker": [3, 4, 5, 7, 8], "scheduler": [6]}
    assert allocate(current, {"web": 2, "worker": 1, "scheduler": 1}, ORDER) == {
        "web": [1, 2], "worker": [3], "scheduler": [6]}


def test_new_instances_take_the_lowest_free_numbers():
    current = {"web": [1], "worker": [4], "scheduler": [6]}
    assert allocate(current, {"web": 3, "worker": 1, "scheduler": 1}, ORDER)["web"] == [1, 2, 3]


def test_zero_and_missing_types():
    current = {"web": [1, 2], "worker": [3]}
    assert allocate(current, {"web": 0}, ["web", "worker"]) == {"web": [], "worker": []}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=3, max_size=3),
       st.lists(st.integers(0, 8), min_size=3, max_size=3))
def test_properties(first, second):
    wanted1 = dict(zip(ORDER, first))
    step1 = allocate({}, wanted1, ORDER)
    wanted2 = dict(zip(ORDER, second))
    step2 = allocate(step1, wanted2, ORDER)
    numbers = [n for ns in step2.values() for n in ns]
    assert len(numbers) == len(set(numbers))
    for t in ORDER:
        assert len(step2[t]) == wanted2[t]
        kept = step1[t][:wanted2[t]]
        assert step2[t][:len(kept)] == kept or set(kept) <= set(step2[t])


def test_scan_owned_units_and_enabled(tmp_path):
    (tmp_path / "shop-web@.service").write_text("[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=web\n"
                                                "X-ProcfileBasePort=5000\n")
    (tmp_path / "shop-admin-web@.service").write_text("[Unit]\nX-ProcfileApp=shop-admin\n"
                                                      "X-ProcfileType=web\n")
    (tmp_path / "shop.target").write_text("[Unit]\nX-ProcfileApp=shop\n")
    (tmp_path / "shop-foo@.service").write_text("[Service]\nExecStart=/bin/true\n")
    wants = tmp_path / "shop.target.wants"
    wants.mkdir()
    for name in ("shop-web@1.service", "shop-web@12.service", "shop-admin-web@3.service",
                 "shop-foo@2.service"):
        (wants / name).symlink_to("/dev/null")
    owned = scan_owned_units(str(tmp_path))
    assert sorted(owned) == ["shop", "shop-admin"]
    assert owned["shop"]["templates"] == {"web": str(tmp_path / "shop-web@.service")}
    assert owned["shop"]["target"] == str(tmp_path / "shop.target")
    assert owned["shop"]["base_port"] == 5000
    assert enabled_instances(str(tmp_path), "shop", ["web"]) == {"web": [1, 12]}


def test_scan_result_exactly_and_what_it_skips(tmp_path):
    def unit(name, text):
        (tmp_path / name).write_text(text)
        return str(tmp_path / name)

    web = unit("shop-web@.service", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=web\n"
                                    "X-ProcfileBasePort=5000\n")
    worker = unit("shop-worker@.service", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=worker\n"
                                          "X-ProcfileBasePort=none\n")
    target = unit("shop.target", "[Unit]\nX-ProcfileApp=shop\n")
    # Marked as shop's, but not by the names shop's units have: "other" (left over).
    renamed = unit("shop-old@.service", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=web\n")
    untyped = unit("shop-extra.service", "[Unit]\nX-ProcfileApp=shop\n")
    # A scheduled type: its timer (with the schedule as written) and its service.
    timer = unit("shop-report.timer", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=report\n"
                                      "X-ProcfileSchedule=*/15 * * * *\n")
    report = unit("shop-report.service", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=report\n")
    # A service of a scheduled type whose timer is gone (an interrupted run).
    cleanup = unit("shop-cleanup.service", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=cleanup\n")
    # A timer whose name is not its type's: left over.
    misnamed = unit("shop-x.timer", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=report\n")
    # Not procfile.systemd's: no app marker, or not a unit file it writes.
    unit("shop-foo@.service", "[Unit]\nX-ProcfileType=foo\n")
    unit("shop.socket", "[Unit]\nX-ProcfileApp=shop\n")
    unit("shop-web@.service.bak", "[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=web\n")
    # Not files: a link (to one of shop's own units), a directory, a FIFO.
    (tmp_path / "shop-link@.service").symlink_to(web)
    (tmp_path / "shop-dir.service").mkdir()
    fifo = str(tmp_path / "shop-fifo.service")
    os.mkfifo(fifo)
    # The FIFO holds markers, and its write end stays open until the scan is over: a scan
    # that read it would see the markers, then wait; the watchdog ends that wait (for a
    # test that fails, never one that passes), whatever the time the scan takes.
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    os.write(fd, b"[Unit]\nX-ProcfileApp=shop\n")
    over, unread = threading.Event(), []

    def watchdog():
        if not over.wait(120):
            os.close(fd)

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        owned = scan_owned_units(str(tmp_path))
    finally:
        over.set()
        guard.join()
    unread.append(os.read(fd, 100))
    os.close(fd)
    assert owned == {
        "shop": {"templates": {"web": web, "worker": worker}, "target": target,
                 # The web's: the worker's is not a number.
                 "base_port": 5000, "upstreams": {},
                 "scheduled": {"report": {"timer": timer, "service": report,
                                          "schedule": "*/15 * * * *"},
                               "cleanup": {"service": cleanup}},
                 "other": [untyped, renamed, misnamed]},
    }
    # Nothing was taken out of the FIFO.
    assert unread == [b"[Unit]\nX-ProcfileApp=shop\n"]


def test_scan_without_a_target_or_a_base_port(tmp_path):
    (tmp_path / "shop-worker@.service").write_text("[Unit]\nX-ProcfileApp=shop\n"
                                                   "X-ProcfileType=worker\n")
    assert scan_owned_units(str(tmp_path)) == {
        "shop": {"templates": {"worker": str(tmp_path / "shop-worker@.service")},
                 "target": None, "base_port": None, "upstreams": {}, "scheduled": {},
                 "other": []}}
    assert scan_owned_units(str(tmp_path / "no-such-dir")) == {}


def test_read_markers(tmp_path):
    path = tmp_path / "u.service"
    path.write_text("[Unit]\nDescription=x\nX-ProcfileApp=shop\n  X-ProcfileType=web\n"
                    "X-Procfile=bare\nX-ProcfileBasePort=5000 \n")
    # Whole lines only, the value as written (trailing blank too).
    assert read_markers(str(path)) == {"X-ProcfileApp": "shop", "X-ProcfileBasePort": "5000 "}
    path.write_text("[Unit]\nDescription=x\n")
    assert read_markers(str(path)) is None
    assert read_markers(str(tmp_path / "missing.service")) is None
    # Only the first 64 KiB are read.
    path.write_text("#" * 65536 + "\nX-ProcfileApp=shop\n")
    assert read_markers(str(path)) is None


def test_enabled_instances_without_a_wants_directory(tmp_path):
    assert enabled_instances(str(tmp_path), "shop", ["web", "worker"]) == {"web": [], "worker": []}


def test_read_markers_of_a_file_that_is_not_text(tmp_path):
    path = tmp_path / "u.service"
    path.write_bytes(b"[Unit]\nX-ProcfileApp=\xff\n")
    assert read_markers(str(path)) is None


# A unit as units.py writes it (UTF-8, files.write_atomic), with a command that is not
# ASCII and a marker value that is not either.
UTF8_UNIT = (u"[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=w\u00e9b\n\n[Service]\n"
             u"ExecStart=/bin/sh -c 'echo caf\u00e9'\n").encode("utf-8")
READ_IN_CHILD = """
import json, sys
from ansible_collections.procfile.systemd.plugins.module_utils.instances import read_markers
print(json.dumps(read_markers(sys.argv[1])))
"""


def test_read_markers_decodes_utf8_whatever_the_locale(tmp_path):
    path = tmp_path / "shop-web@.service"
    path.write_bytes(UTF8_UNIT)
    assert read_markers(str(path)) == {"X-ProcfileApp": "shop", "X-ProcfileType": u"w\u00e9b"}
    # The same read in a process whose locale encoding is ASCII (LANG=C without Python's
    # UTF-8 mode or locale coercion): with open() in the locale's encoding the unit was
    # not text (None), so the app's own unit counted as foreign.
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0",
               PYTHONIOENCODING="utf-8", PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.run([sys.executable, "-c", READ_IN_CHILD, str(path)], env=env,
                           capture_output=True, check=True)
    assert json.loads(child.stdout.decode("utf-8")) == {"X-ProcfileApp": "shop",
                                                        "X-ProcfileType": u"w\u00e9b"}
