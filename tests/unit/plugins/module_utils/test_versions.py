"""The app's version history on a host (module_utils/versions.py): procfile_install
appends to it when the version changes, procfile_status reads which version an instance
was started with."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.procfile.systemd.plugins.module_utils.app_install import install
from ansible_collections.procfile.systemd.plugins.module_utils.versions import (
    KEEP,
    app_version,
    appended,
    read_history,
    version_at,
)
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import FakeModule


def test_the_version_is_the_revision_else_the_fingerprints_first_12_hex_digits():
    assert app_version("a1", "f" * 40) == "a1"
    assert app_version("a1\ncopied at 7", "f" * 40) == "a1"
    # Code copied without a revision: the stamp's first line is empty.
    assert app_version("\ncopied at 7", "0123456789abcdef" * 2) == "0123456789ab"
    assert app_version("", "0123456789abcdef" * 2) == "0123456789ab"


def test_a_new_version_is_appended_the_same_one_is_not(tmp_path):
    assert appended([], "a1", 100.5) == "100.50 a1\n"
    history = [(100.5, "a1")]
    assert appended(history, "a1", 200) is None
    assert appended(history, "b2", 200) == "100.50 a1\n200.00 b2\n"
    # Back to an earlier version is a change too (a rollback).
    assert appended([(100.5, "a1"), (200.0, "b2")], "a1", 300).endswith("300.00 a1\n")


def test_only_the_last_entries_are_kept():
    history = [(float(n), "v%d" % n) for n in range(KEEP)]
    text = appended(history, "new", 1000)
    assert len(text.splitlines()) == KEEP
    assert text.splitlines()[0] == "1.00 v1" and text.splitlines()[-1] == "1000.00 new"


def test_reading_skips_damaged_lines_and_keeps_spaces_in_a_revision(tmp_path):
    path = tmp_path / "versions"
    path.write_text("100.00 a1\nnonsense\n\n150 \n200.00 release 2\n")
    assert read_history(str(path)) == [(100.0, "a1"), (200.0, "release 2")]
    assert read_history(str(tmp_path / "missing")) == []


def test_an_instance_runs_the_version_in_force_when_it_started():
    history = [(100.0, "a1"), (200.0, "b2"), (300.0, "c3")]
    assert version_at(history, 250.0) == "b2"
    assert version_at(history, 200.0) == "b2"
    assert version_at(history, 400.0) == "c3"
    # Started before the history begins, or when is unknown: no version to tell.
    assert version_at(history, 99.0) is None
    assert version_at(history, None) is None
    assert version_at([], 250.0) is None
    assert version_at(history, 199.99, slack=0.02) == "b2"


def install_params(tmp_path, revision="", code_changed=False, versions=True, env="A=1\n"):
    return dict(files=[], absent=[], env_file=str(tmp_path / "environment"), env_content=env,
                account=None, root=None, root_dirs=[], writable_dirs=[], revision=revision,
                code_file=str(tmp_path / "code"), code_changed=code_changed,
                fingerprint_file=str(tmp_path / "released"),
                versions_file=str(tmp_path / "versions") if versions else None)


def run_install(tmp_path, check_mode=False, diff=False, **params):
    module = FakeModule(check_mode=check_mode, diff=diff)
    return install(module, None, "shop", ["web"], install_params(tmp_path, **params))


def test_install_records_a_new_revision_once(tmp_path):
    first = run_install(tmp_path, revision="a1")
    assert first["changed"] and first["version"] == "a1"
    [(when, version)] = read_history(str(tmp_path / "versions"))
    assert version == "a1"
    assert stat.S_IMODE(os.stat(str(tmp_path / "versions")).st_mode) == 0o600
    # An identical run: nothing changed, nothing written.
    before = os.stat(str(tmp_path / "versions")).st_mtime_ns
    again = run_install(tmp_path, revision="a1")
    assert not again["changed"] and again["version"] == "a1"
    assert os.stat(str(tmp_path / "versions")).st_mtime_ns == before
    # A run without a revision keeps the recorded one (the code stamp's).
    assert not run_install(tmp_path)["changed"]
    second = run_install(tmp_path, revision="b2")
    assert second["changed"] and second["restart_types"] == ["web"]
    assert [v for _w, v in read_history(str(tmp_path / "versions"))] == ["a1", "b2"]


def test_without_a_revision_the_version_is_the_fingerprints(tmp_path):
    first = run_install(tmp_path)
    assert first["version"] == first["fingerprint"][:12]
    changed_env = run_install(tmp_path, env="A=2\n")
    assert changed_env["version"] == changed_env["fingerprint"][:12] != first["version"]
    assert [v for _w, v in read_history(str(tmp_path / "versions"))] == [
        first["version"], changed_env["version"]]


def test_the_history_is_not_part_of_the_fingerprint_and_restarts_nothing(tmp_path):
    os.mkdir(str(tmp_path / "a"))
    os.mkdir(str(tmp_path / "b"))
    with_history = run_install(tmp_path / "a", revision="a1")
    without = run_install(tmp_path / "b", revision="a1", versions=False)
    assert with_history["fingerprint"] == without["fingerprint"]
    assert with_history["restart_types"] == without["restart_types"]
    assert not os.path.exists(str(tmp_path / "b" / "versions"))
    # A lost history is written again, and that alone restarts and releases nothing.
    (tmp_path / "a" / "released").write_text(with_history["fingerprint"] + "\n")
    os.remove(str(tmp_path / "a" / "versions"))
    rewritten = run_install(tmp_path / "a", revision="a1")
    assert rewritten["changed"] and rewritten["restart_types"] == []
    assert not rewritten["release_due"]


def test_check_mode_writes_no_history_and_diff_shows_the_version(tmp_path):
    run_install(tmp_path, revision="a1")
    result = run_install(tmp_path, check_mode=True, diff=True, revision="b2")
    assert result["changed"] and result["version"] == "b2"
    assert [v for _w, v in read_history(str(tmp_path / "versions"))] == ["a1"]
    [entry] = [d for d in result["diff"] if d["before_header"] == str(tmp_path / "versions")]
    assert (entry["before"], entry["after"]) == ("version a1\n", "version b2\n")
