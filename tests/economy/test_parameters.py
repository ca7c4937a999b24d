"""The parameter schema and scenario files reject bad input with errors that say what to do."""

import pytest

from abm import DEFAULTS, PARAMETERS, ParameterError, ProductionEconomy
from abm.economy.parameters import validate
from abm.economy.scenarios import available, load_scenario


def test_every_parameter_is_fully_described():
    for p in PARAMETERS.values():
        assert p.unit is not None and p.meaning and p.source, p.name
        assert p.check(p.default) == p.default


@pytest.mark.parametrize(
    ("name", "value", "fragments"),
    [
        ("need_rate", -0.1, ["need_rate=-0.1", "[0, 1]"]),
        ("poka_yoke", 1.5, ["poka_yoke=1.5", "[0, 1]"]),
        ("n_consumers", 2.5, ["n_consumers=2.5", "whole number"]),
        ("good_value", "lots", ["good_value='lots'", "not a number"]),
        ("interest_rate", float("nan"), ["interest_rate=nan", "finite"]),
        ("replenishment_policy", "jit", ["replenishment_policy='jit'", "kanban"]),
    ],
)
def test_bad_values_name_parameter_value_and_range(name, value, fragments):
    with pytest.raises(ParameterError) as err:
        ProductionEconomy(rng=0, **{name: value})
    for fragment in fragments:
        assert fragment in str(err.value)


def test_unknown_name_suggests_nearest():
    with pytest.raises(ParameterError, match="did you mean 'poka_yoke'"):
        validate({"poka_yoka": 0.5})


def test_joint_constraint_on_peaks():
    with pytest.raises(ParameterError, match="peak_to_mean=9.0 is out of range"):
        validate({"peak_to_mean": 9.0})  # a 7-day cycle with 1 peak day allows at most 7


def test_strings_are_coerced_like_the_command_line_gives_them():
    values = validate({"n_consumers": "500", "poka_yoke": "0.5"})
    assert values["n_consumers"] == 500 and values["poka_yoke"] == 0.5


def test_presets_exist_and_load_by_name():
    names = set(available())
    expected = {
        "baseline",
        "distributed-optimist",
        "factory-realist",
        "peak-load",
        "subsidy-sunset",
        "latency",
        "custom-niche",
    }
    assert expected <= names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.description
        assert set(scenario.overrides) <= set(DEFAULTS)


def test_scenario_by_path_and_bad_file_names_the_line(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('description = "x"\n[set]\npoka_yoke = 0.5\n')
    assert load_scenario(good).overrides == {"poka_yoke": 0.5}
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[set]\npoka_yoke = 0.5\ninspektion = 0.2\n')
    with pytest.raises(ParameterError, match=r"'inspektion'.*line 4.*did you mean 'inspection'"):
        load_scenario(bad)
    with pytest.raises(ParameterError, match="unknown scenario 'nowhere'"):
        load_scenario("nowhere")


def test_presets_ship_with_the_package_and_are_found_from_any_folder(tmp_path, monkeypatch):
    """The presets are package data (abm/economy/presets), not files of the repository's
    runs/: a copy installed anywhere finds all seven by name; a user's runs/scenarios/NAME.toml
    in the folder they run from adds to them and overrides a preset of the same name."""
    from abm.economy.scenarios import available, load_scenario

    monkeypatch.chdir(tmp_path)
    names = {
        "baseline",
        "custom-niche",
        "distributed-optimist",
        "factory-realist",
        "latency",
        "peak-load",
        "subsidy-sunset",
    }
    assert set(available()) == names
    assert load_scenario("latency").overrides["shipping_lead_time"] == 45
    own = tmp_path / "runs" / "scenarios"
    own.mkdir(parents=True)
    (own / "latency.toml").write_text('description = "mine"\n[set]\nshipping_lead_time = 9\n')
    (own / "mine.toml").write_text('description = "mine"\n[set]\ncustom_share = 0.5\n')
    assert set(available()) == names | {"mine"}
    assert load_scenario("latency").overrides == {"shipping_lead_time": 9}


def test_every_parameter_is_defined_once():
    """A name defined twice would leave only its last definition in the schema, silently."""
    from abm.economy.parameters import _PARAMS

    names = [param.name for param in _PARAMS]
    assert len(names) == len(set(names))
