"""What makes a deploy restart the app for its code: the code stamp (app_install.code_change)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.app_install import code_change


def stamp(tmp_path, text=None):
    path = tmp_path / "code"
    if text is not None:
        path.write_text(text)
    return str(path)


def test_a_new_revision_is_a_change_naming_both(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "b2", False) == "new revision b2 (was a1)"


def test_the_first_revision_is_a_change(tmp_path):
    assert code_change(stamp(tmp_path), "a1", False) == "new revision a1"


def test_the_same_revision_is_no_change(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "a1", False) is None


def test_no_revision_given_keeps_the_recorded_one(tmp_path):
    # A run without procfile_revision (e.g. a scale change) does not restart the app.
    assert code_change(stamp(tmp_path, "a1\n"), "", False) is None


def test_copied_code_is_a_change_whatever_the_revision(tmp_path):
    assert code_change(stamp(tmp_path, "a1\n"), "a1", True) == "its code was copied anew"
    assert code_change(stamp(tmp_path), "", True) == "its code was copied anew"


def test_without_a_stamp_file_nothing_is_known(tmp_path):
    assert code_change(None, "a1", True) is None
