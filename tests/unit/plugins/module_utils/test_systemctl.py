"""The systemctl client, with run_command faked at the systemctl boundary: what it asks
systemd, in how many calls, and how it reads the answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import Failed, FakeModule


LIST_UNITS = (
    "shop-web@1.service    loaded active   running shop web.1\n"
    "\u25cf shop-worker@3.service loaded failed   failed  shop worker.3\n"
    "shop-worker@4.service loaded inactive dead    shop worker.4\n"
)


def test_loaded_instances_are_read_in_one_listing_call():
    module = FakeModule([(["list-units"], (0, LIST_UNITS, ""))])
    loaded = Systemctl(module).loaded_instances("shop")
    assert module.calls == [["/bin/systemctl", "list-units", "--all", "--plain", "--no-legend",
                             "--full", "shop-*@*.service"]]
    assert loaded == {
        "shop-web@1.service": {"LoadState": "loaded", "ActiveState": "active", "SubState": "running"},
        "shop-worker@3.service": {"LoadState": "loaded", "ActiveState": "failed", "SubState": "failed"},
        "shop-worker@4.service": {"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead"},
    }
    # Only running or changing ones are instances; a failed or dead one merely loaded is not.
    assert Systemctl(module).active_instances("shop", loaded) == ["shop-web@1.service"]


def test_states_asks_once_for_every_unit_and_keys_answers_by_id():
    show = "Id=a@1.service\nActiveState=active\nMainPID=12\n\nId=b@2.service\nActiveState=inactive\nMainPID=0\n"
    module = FakeModule([(["show"], (0, show, ""))])
    states = Systemctl(module).states(["a@1.service", "b@2.service"], "Id,ActiveState,MainPID")
    assert module.calls == [["/bin/systemctl", "show", "--property=Id,ActiveState,MainPID", "--",
                             "a@1.service", "b@2.service"]]
    assert states == {"a@1.service": {"Id": "a@1.service", "ActiveState": "active", "MainPID": "12"},
                      "b@2.service": {"Id": "b@2.service", "ActiveState": "inactive", "MainPID": "0"}}
    assert Systemctl(module).states([]) == {} and len(module.calls) == 1


def test_a_failed_call_fails_the_module_naming_it_unless_only_reporting():
    module = FakeModule([(["show"], (1, "", "Failed to connect to bus\n"))])
    with pytest.raises(Failed, match=r"systemctl show .* failed \(rc 1\): Failed to connect to bus"):
        Systemctl(module).states(["a.service"])
    assert Systemctl(module).states(["a.service"], check=False) == {}


def test_reset_failed_is_best_effort_and_skipped_for_nothing():
    module = FakeModule([(["reset-failed"], (1, "", "Unit x not loaded."))])
    client = Systemctl(module)
    client.reset_failed([])
    client.reset_failed(["x@1.service"])
    assert module.calls == [["/bin/systemctl", "reset-failed", "--", "x@1.service"]]


def test_one_offs_are_the_apps_running_run_units_only():
    listing = (
        "shop-run-3.service      loaded active   running shop run.3: rails console\n"
        "shop-run-4.service      loaded deactivating stop-sigterm shop run.4: sleep 100\n"
        "shop-run-5.service      loaded failed   failed  shop run.5: false\n"
        # App shop-run's units match the glob shop-run-*.service, and are not shop's.
        "shop-run-web@1.service  loaded active   running shop-run web.1\n"
        "shop-run-1-release.service loaded active running shop-run-1 release phase\n"
    )
    module = FakeModule([(["list-units"], (0, listing, ""))])
    assert Systemctl(module).one_offs("shop") == ["shop-run-3.service", "shop-run-4.service"]
    assert module.calls == [["/bin/systemctl", "list-units", "--all", "--plain", "--no-legend",
                             "--full", "shop-run-*.service"]]
