"""meta/argument_specs.yml and defaults/main.yml describe the same variables with the same
defaults: a variable added to one and forgotten in the other fails here."""

from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "procfile"
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
OPTIONS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())[
    "argument_specs"]["main"]["options"]
TYPES = {"str": str, "path": str, "bool": bool, "int": int, "dict": dict, "list": list}


def test_the_same_variables_in_both():
    assert sorted(set(DEFAULTS) - set(OPTIONS)) == [], "in defaults/main.yml only"
    assert sorted(set(OPTIONS) - set(DEFAULTS)) == [], "in argument_specs.yml only"


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_the_same_default_and_a_value_of_the_declared_type(name):
    value, spec = DEFAULTS[name], OPTIONS[name]
    if isinstance(value, str) and "{{" in value:
        # Derived from another variable: the spec cannot state it, and must not.
        assert "default" not in spec, name
        return
    if spec.get("required"):
        assert value in ("", None), name  # a placeholder the preflight refuses
        return
    assert spec.get("default") == value, name
    expected = TYPES.get(spec["type"])
    if expected is not None:
        assert isinstance(value, expected) and not (expected is int and isinstance(value, bool)), name
    if spec["type"] == "list":
        assert spec.get("elements"), name
