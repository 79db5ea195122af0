"""The rule registry: stable codes by family, documented rules, validated thresholds, selection."""

from __future__ import annotations

import math
import re
from numbers import Real

import pytest

import curvescope
from curvescope.diagnose import PROBLEMS, Interval, Rule, register, rules, select
from curvescope.diagnose import registry as registry_module
from curvescope.errors import CurvescopeError, InvalidParameterError, PluginError
from tests.conftest import ROOT
from tests.diagnose import curves as c

CODE = re.compile(r"^CS[1-5][0-9]{2}$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FAMILY = {str(i): label for i, label in enumerate(PROBLEMS, start=1)}  # CS1xx bad_init ... CS5xx underfitting
SECTIONS = ("What it detects", "Why it matters", "Example", "What to try")
RULES = rules()


@pytest.fixture
def registry():
    """The live rule table; whatever a test registers is gone afterwards."""
    saved = dict(registry_module._RULES)
    yield registry_module._RULES
    registry_module._RULES.clear()
    registry_module._RULES.update(saved)


def _rule(code, name, label="bad_init", doc="A rule made up for a test."):
    return type(
        "Planted",
        (Rule,),
        {
            "__doc__": doc,
            "code": code,
            "name": name,
            "label": label,
            "__init__": lambda self, limit=1.0: setattr(self, "limit", limit),
            "_parameter_constraints": {"limit": [Interval(Real, 0.0, None)]},
            "check": lambda self, context: iter(()),
        },
    )


# --- the table ------------------------------------------------------------------------------------


def test_there_are_rules_for_every_problem_label():
    assert {rule.label for rule in RULES.values()} == set(PROBLEMS)


@pytest.mark.parametrize("code", RULES)
def test_code_is_well_formed_and_its_family_is_its_label(code):
    rule = RULES[code]
    assert rule.code == code
    assert CODE.match(code), code
    assert FAMILY[code[2]] == rule.label, f"{code} is in the {FAMILY[code[2]]} family but labels {rule.label}"


def test_codes_and_names_are_unique():
    names = [rule.name for rule in RULES.values()]
    assert len(set(names)) == len(names)
    assert len({rule.code for rule in RULES.values()}) == len(RULES)


@pytest.mark.parametrize("code", RULES)
def test_name_is_kebab_case(code):
    assert KEBAB.match(RULES[code].name), RULES[code].name


@pytest.mark.parametrize("code", RULES)
def test_docstring_has_a_summary_and_the_four_sections(code):
    rule = RULES[code]
    assert rule.summary().strip()
    sections = rule.sections()
    for section in SECTIONS:
        assert sections.get(section, "").strip(), f"{code}: section {section!r} is missing or empty"


@pytest.mark.parametrize("code", RULES)
def test_every_parameter_has_a_constraint_and_its_default_satisfies_it(code):
    rule = RULES[code]()
    params = rule.get_params()
    assert set(params) == set(rule._parameter_constraints), code
    for name, value in params.items():
        assert any(c.is_satisfied_by(value) for c in rule._parameter_constraints[name]), (code, name, value)
    rule.validate_params()


@pytest.mark.parametrize("code", RULES)
def test_parameters_are_stored_unchanged(code):
    rule_class = RULES[code]
    defaults = rule_class().get_params()
    given = {name: _inside(rule_class._parameter_constraints[name], value) for name, value in defaults.items()}
    assert rule_class(**given).get_params() == given


def _inside(constraints: list[Interval], default: float) -> float:
    """A value other than the default that the interval allows."""
    (interval,) = constraints
    high = interval.high if interval.high is not None else interval.low + 10
    candidate = (default + high) / 2
    return candidate if interval.is_satisfied_by(candidate) and candidate != default else (interval.low + default) / 2


def _bad_values(constraints: list[Interval]) -> list:
    """Values every constraint must reject: below its low end, NaN, a string, a bool; above a finite
    high end; and an open end itself."""
    (interval,) = constraints
    bad = [interval.low - abs(interval.low) - 1.0, math.nan, "0.5", True]
    if interval.high is not None:
        bad.append(interval.high + abs(interval.high) + 1.0)
        if interval.closed in ("left", "neither"):
            bad.append(interval.high)
    if interval.closed in ("right", "neither"):
        bad.append(interval.low)
    return bad


PARAMETER_CASES = [
    (code, name, bad)
    for code, rule in RULES.items()
    for name, interval in rule._parameter_constraints.items()
    for bad in _bad_values(interval)
]


@pytest.mark.parametrize("code, name, bad", PARAMETER_CASES, ids=[f"{c}-{n}-{b!r}" for c, n, b in PARAMETER_CASES])
def test_a_bad_threshold_is_rejected_with_the_standard_sentence(code, name, bad):
    rule = RULES[code](**{name: bad})
    pattern = rf"^The '{re.escape(name)}' parameter of {code} must be .+\. Got {re.escape(repr(bad))} instead\.$"
    with pytest.raises(InvalidParameterError, match=pattern):
        rule.validate_params()


def test_invalid_parameter_error_is_a_value_and_type_error():
    error = InvalidParameterError("x")
    assert isinstance(error, ValueError) and isinstance(error, TypeError) and isinstance(error, CurvescopeError)


# --- registration ---------------------------------------------------------------------------------


def test_register_adds_a_rule_that_select_then_finds(registry):
    register(_rule("CS199", "planted-for-a-test"))
    assert "CS199" in rules()
    assert [rule.code for rule in select(["CS199"])] == ["CS199"]


def test_registry_fixture_cleans_up():
    assert "CS199" not in rules()


def test_register_rejects_a_taken_code_naming_both_rules(registry):
    before = dict(registry)
    with pytest.raises(PluginError) as raised:
        register(_rule("CS201", "a-brand-new-name", label="lr_too_high"))
    message = str(raised.value)
    assert "a-brand-new-name" in message and RULES["CS201"].name in message and "CS201" in message
    assert registry == before


def test_register_rejects_a_taken_name_naming_both_rules(registry):
    before = dict(registry)
    taken = RULES["CS401"].name
    with pytest.raises(PluginError) as raised:
        register(_rule("CS498", taken, label="overfitting"))
    message = str(raised.value)
    assert "CS498" in message and "CS401" in message and taken in message
    assert registry == before


@pytest.mark.parametrize("code", ["CS1", "cs199", "CS1999", "CS 199", "199", "", None, 199, "CS19a"])
def test_register_rejects_a_malformed_code(registry, code):
    before = dict(registry)
    with pytest.raises(PluginError):
        register(_rule(code, "planted-malformed"))
    assert registry == before


@pytest.mark.parametrize("name", ["Not_Kebab", "trailing-", "two--dashes", "", None, "space here"])
def test_register_rejects_a_name_that_is_not_kebab_case(registry, name):
    with pytest.raises(PluginError):
        register(_rule("CS198", name))


def test_register_rejects_an_unknown_label(registry):
    with pytest.raises(PluginError):
        register(_rule("CS197", "planted-label", label="healthy"))


def test_a_rule_without_thresholds_has_no_params_and_can_be_audited(registry):
    """A plugin rule need not take thresholds: it may leave ``__init__`` to ``Rule``."""

    @register
    class NoThresholds(Rule):
        """Never fires."""

        code, name, label = "CS196", "planted-no-thresholds", "bad_init"

        def check(self, context):
            return iter(())

    assert NoThresholds().get_params() == {}
    report = curvescope.audit(c.frame({"run": c.healthy()}), model=False)
    assert report["run"].labels == ("healthy",)


# --- selection ------------------------------------------------------------------------------------


def test_select_none_is_every_rule_with_default_thresholds():
    chosen = select()
    assert [rule.code for rule in chosen] == list(RULES)
    assert all(rule.get_params() == type(rule)().get_params() for rule in chosen)


@pytest.mark.parametrize("prefix", ["CS1", "CS2", "CS3", "CS4", "CS5"])
def test_select_by_family_prefix(prefix):
    assert [rule.code for rule in select([prefix])] == [code for code in RULES if code.startswith(prefix)]
    assert {rule.label for rule in select([prefix])} == {FAMILY[prefix[2]]}


def test_select_is_case_insensitive_and_combines_prefixes():
    assert [rule.code for rule in select(["cs2", "CS401"])] == [code for code in RULES if code.startswith("CS2")] + ["CS401"]


def test_ignore_removes_rules_from_the_selection():
    assert [rule.code for rule in select(ignore=["CS401"])] == [code for code in RULES if code != "CS401"]
    assert [rule.code for rule in select(["CS4"], ignore=["CS401"])] == [
        code for code in RULES if code.startswith("CS4") and code != "CS401"
    ]


def test_select_of_an_empty_list_selects_nothing():
    assert select([]) == []


@pytest.mark.parametrize("option", ["select", "ignore"])
@pytest.mark.parametrize("prefix", ["CS9", "CS999", "XY1", 42])
def test_unknown_prefix_is_an_invalid_parameter_naming_it(option, prefix):
    with pytest.raises(InvalidParameterError, match=re.escape(repr(prefix))):
        select(**{option: [prefix]})


def test_a_single_string_selects_that_prefix_not_every_rule():
    """``select="CS4"`` is an easy slip for ``select=["CS4"]``: it must pick the CS4 family or be
    refused, never be read letter by letter ("C" matches every rule)."""
    try:
        chosen = [rule.code for rule in select("CS4")]
    except InvalidParameterError:
        return
    assert chosen == [code for code in RULES if code.startswith("CS4")]


# --- documentation ---------------------------------------------------------------------------------


def test_every_rule_code_has_a_row_in_the_readme_rules_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in RULES if not re.search(rf"^\|\s*{code}\s*\|", readme, re.MULTILINE)]
    assert not missing, f"README.md has no `| CSxxx |` row for {', '.join(missing)}"
