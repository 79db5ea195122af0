"""Parameter checks in scikit-learn's style: one sentence naming the function, the parameter, what it
accepts and what it got."""

import math
from numbers import Integral, Real

import pytest

import curvescope
from curvescope import InvalidParameterError
from curvescope.params import NONE, InstanceOf, Interval, MappingOf, Names, Options, validate_params


@validate_params({"rate": [Interval(Real, 0, 1, closed="left")], "count": [NONE, Interval(Integral, 1, None)]})
def tune(rate, *, count=None):
    return rate, count


def test_a_good_call_passes_through():
    assert tune(0.5, count=3) == (0.5, 3)
    assert tune(0.0) == (0.0, None)


@pytest.mark.parametrize(
    "call, sentence",
    [
        (lambda: tune(1.0), "The 'rate' parameter of tune must be a float in the range [0, 1). Got 1.0 instead."),
        (lambda: tune(math.nan), "The 'rate' parameter of tune must be a float in the range [0, 1). Got nan instead."),
        (lambda: tune(True), "The 'rate' parameter of tune must be a float in the range [0, 1). Got True instead."),
        (
            lambda: tune(0.1, count=0),
            "The 'count' parameter of tune must be None or an int in the range [1, inf). Got 0 instead.",
        ),
        (
            lambda: tune(0.1, count=2.0),
            "The 'count' parameter of tune must be None or an int in the range [1, inf). Got 2.0 instead.",
        ),
    ],
)
def test_a_bad_call_is_one_sentence(call, sentence):
    with pytest.raises(InvalidParameterError) as raised:
        call()
    assert str(raised.value) == sentence


def test_a_constraint_on_a_parameter_the_function_lacks_fails_at_definition():
    with pytest.raises(TypeError, match="has no parameter rat"):
        validate_params({"rat": [NONE]})(tune.__wrapped__)


def test_constraints_say_what_they_accept():
    assert Options(("last", "all")).is_satisfied_by("all") and not Options(("last",)).is_satisfied_by("first")
    assert not Options((1,)).is_satisfied_by(True), "a bool is not the number 1"
    assert MappingOf(Interval(Integral, 2, None)).is_satisfied_by({"a": 3}) and not MappingOf(NONE).is_satisfied_by([None])
    assert InstanceOf((str,), "a str").is_satisfied_by("x") and not InstanceOf((int,), "an int").is_satisfied_by(True)
    names = []
    constraint = Names(lambda: names, "labels")
    assert not constraint.is_satisfied_by(["late"])
    names.append("late")
    assert constraint.is_satisfied_by(["late"]) and constraint.is_satisfied_by("late"), "the known names are read when checked"


@pytest.mark.parametrize(
    "call, parameter",
    [
        (lambda: curvescope.audit("fixtures/demo", classes=1), "classes"),
        (lambda: curvescope.audit("fixtures/demo", jobs=0), "jobs"),
        (lambda: curvescope.read("fixtures/demo", duplicates="first"), "duplicates"),
        (lambda: next(curvescope.watch("fixtures/demo", interval=0)), "interval"),
    ],
)
def test_public_functions_check_their_parameters_before_any_work(call, parameter):
    with pytest.raises(InvalidParameterError, match=rf"^The '{parameter}' parameter of \w+ must be .+\. Got .+ instead\.$"):
        call()
