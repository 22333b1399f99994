"""The molecule tests' recap parser reads every host on its own: one clean host must not
hide another that changed or failed."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "molecule" / "resources"))
from procfile_testlib import recap, recap_changed  # noqa: E402  pylint: disable=wrong-import-position

OUTPUT = """
PLAY RECAP *********************************************************************
fleet-web-1                : ok=9    changed=0    unreachable=0    failed=0    skipped=5    rescued=0    ignored=0
fleet-web-2                : ok=9    changed=2    unreachable=0    failed=0    skipped=5    rescued=0    ignored=0
fleet-worker-1             : ok=3    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
"""


def test_every_host_has_its_own_counts():
    counts = recap("PLAY RECAP\nold : ok=1 changed=9 unreachable=0 failed=0\n" + OUTPUT)
    assert sorted(counts) == ["fleet-web-1", "fleet-web-2", "fleet-worker-1"]
    assert counts["fleet-web-2"]["changed"] == 2
    assert counts["fleet-worker-1"]["unreachable"] == 1
    assert not all(c["changed"] == 0 for c in counts.values())


def test_recap_changed_refuses_a_recap_of_several_hosts():
    with pytest.raises(ValueError):
        recap_changed(OUTPUT)
    assert recap_changed("PLAY RECAP ***\nrole-1 : ok=3 changed=1 unreachable=0 failed=0\n") == 1
