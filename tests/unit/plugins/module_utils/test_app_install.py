"""What makes a deploy restart the app for its code: the code stamp (app_install.code_change)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.app_install import code_change


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
