"""UNIQUE_INT allocation: unique per app, stable, lowest free numbers, highest removed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    allocate,
    enabled_instances,
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
