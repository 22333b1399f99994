"""What makes a deploy restart the app for its code: the code stamp (app_install.code_change)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.procfile.systemd.plugins.module_utils.app_install import code_change, install
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import FakeModule


def stamp(tmp_path, text=None, name="code"):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    return str(path)


def test_a_new_revision_is_a_change_naming_both(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "b2", False) == ("new revision b2, was a1", "b2")


def test_the_first_revision_is_a_change(tmp_path):
    assert code_change(stamp(tmp_path), "a1", False) == ("new revision a1", "a1")


def test_the_same_revision_is_no_change(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "a1", False) == (None, "a1")


def test_no_revision_given_keeps_the_recorded_code(tmp_path):
    # A run without procfile_revision (e.g. one that only scales) neither restarts the
    # app nor makes its release due again.
    assert code_change(stamp(tmp_path, "a1\n"), "", False) == (None, "a1")
    assert code_change(stamp(tmp_path, "a1\ncopied at 5\n"), "", False) == (None, "a1\ncopied at 5")


def test_copied_code_is_a_change_whatever_the_revision_and_a_new_release(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "a1", True, now=7) == \
        ("its code was copied anew", "a1\ncopied at 7")
    assert code_change(stamp(tmp_path, name="never-written"), "", True, now=8) == \
        ("its code was copied anew", "\ncopied at 8")
    # The next run, copying nothing, keeps that text: its release is not due again.
    assert code_change(stamp(tmp_path, "a1\ncopied at 7\n"), "a1", False) == \
        (None, "a1\ncopied at 7")


def test_without_a_stamp_file_the_revision_alone_counts(tmp_path):
    assert code_change(None, "a1", True) == (None, "a1")


def test_copied_code_without_a_revision_reads_back_the_same(tmp_path):
    """The stamp of a copy without a revision starts with an empty line; the next run,
    copying nothing, must find the same text, or its release would be due again (the
    example app's second deploy once ran its release and changed)."""
    path = stamp(tmp_path)
    _reason, text = code_change(path, "", True, now=9)
    with open(path, "w") as handle:
        handle.write(text + "\n")
    assert code_change(path, "", False) == (None, text)


# ------------------------------------------------------------------- scheduled types (#31)
def scheduled_install(tmp_path, calendar="hourly", keep_only=None):
    """install() of web's template and report's timer and service into TMP_PATH/units."""
    units = tmp_path / "units"
    units.mkdir(exist_ok=True)
    extra = {"keep_only": keep_only} if keep_only else {}
    files = [dict(path=str(units / "shop-web@.service"), type="web", content="[Service]\nExecStart=/bin/web\n"),
             dict(path=str(units / "shop-report.timer"), type="report", scheduled=True,
                  content="[Timer]\nOnCalendar=%s\n" % calendar, **extra),
             dict(path=str(units / "shop-report.service"), type="report", scheduled=True,
                  content="[Service]\nType=oneshot\nExecStart=/bin/report\n", **extra)]
    module = FakeModule()
    params = dict(files=files, absent=[], env_file=str(tmp_path / "environment"), env_content="A=1\n",
                  account=None, root=None, root_dirs=[], writable_dirs=[], revision="",
                  code_file=str(tmp_path / "code"), code_changed=False,
                  fingerprint_file=str(tmp_path / "released"), versions_file=None)
    return install(module, Systemctl(module), "shop", ["web"], params), module


def test_a_schedule_that_changes_restarts_no_process(tmp_path):
    first, _module = scheduled_install(tmp_path)
    assert first["restart_types"] == ["web"]
    again, _module = scheduled_install(tmp_path)
    assert not again["changed"] and again["restart_types"] == []
    moved, module = scheduled_install(tmp_path, calendar="*:0/5")
    assert moved["changed"] and moved["files_changed"] == [str(tmp_path / "units" / "shop-report.timer")]
    assert moved["restart_types"] == [] and moved["restart_reasons"] == {}
    # The timer was checked with the service it starts, and systemd read the new calendar.
    verify = next(c for c in module.calls if c[1:2] == ["verify"])
    assert [os.path.basename(p) for p in verify[3:]] == ["shop-report.service", "shop-report.timer"]
    assert ["/bin/systemd-analyze", "calendar", "--", "*:0/5"] in module.calls
    assert module.calls[-1][-1] == "daemon-reload"


def test_a_limited_run_writes_a_scheduled_types_units_only_where_its_timer_is(tmp_path):
    timer = str(tmp_path / "units" / "shop-report.timer")
    result, _module = scheduled_install(tmp_path, keep_only=timer)
    assert sorted(os.listdir(str(tmp_path / "units"))) == ["shop-web@.service"]
    assert result["files_changed"] == [str(tmp_path / "units" / "shop-web@.service")]
    # Where the timer is, they are written (and updated).
    open(timer, "w").close()
    result, _module = scheduled_install(tmp_path, keep_only=timer)
    assert sorted(os.listdir(str(tmp_path / "units"))) == [
        "shop-report.service", "shop-report.timer", "shop-web@.service"]
