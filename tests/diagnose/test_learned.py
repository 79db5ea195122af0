"""The learned model: fit, save and load (trusting only its own types), fall back when it cannot be used."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
import skops.io
from sklearn.multioutput import MultiOutputClassifier
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

import curvescope
from curvescope.diagnose import LABELS, PROBLEMS, LearnedModel, ModelUnavailable, learned
from curvescope.features import FEATURES, LOG_SCALED, measure, table
from curvescope.features.detectors import divergence
from tests.conftest import FIXTURES
from tests.diagnose import curves as c

DEMO = FIXTURES / "demo"
SHIPPED_ON_DEMO = Path(__file__).with_name("shipped_model_on_demo.csv")
"""The shipped model's probabilities for the demo's runs. Written when the model was last trained;
retraining it is the only reason to write them again."""


class Smuggled:
    """A type no curvescope model is made of."""


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tree predictions on a handful of runs: OpenMP threads only cost time (much of it on a busy machine)."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def model() -> LearnedModel:
    return c.tiny_model()


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    """The fitted model, saved once (a few hundred trees take a moment to store)."""
    path = tmp_path_factory.mktemp("model") / "model.skops"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def light() -> LearnedModel:
    return c.light_model()


@pytest.fixture
def saved(light, tmp_path):
    path = tmp_path / "model.skops"
    light.save(path)
    return path


@pytest.fixture
def shipped_path(monkeypatch):
    """Point the shipped model's path elsewhere; the cached shipped model is forgotten before and after."""
    learned.shipped_model.cache_clear()

    def point_at(path):
        monkeypatch.setattr(learned, "shipped_model_path", lambda: path)

    yield point_at
    learned.shipped_model.cache_clear()


def _stored(model: LearnedModel, **changes) -> dict:
    stored = {
        "format": learned.FORMAT,
        "estimator": model.estimator,
        "features": list(model.features),
        "labels": list(model.labels),
        "sklearn": model.sklearn_version,
        "trained_on": model.trained_on,
    }
    return {**stored, **changes}


# --- fit ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fit_records_features_labels_and_version(model):
    assert model.features == tuple(FEATURES)
    assert model.labels == LABELS
    assert model.sklearn_version and model.trained_on == "separable table"


@pytest.mark.slow
def test_fitted_model_separates_the_planted_labels(model):
    table, truth = c.separable_table(seed=1)  # fresh draws of the same classes
    p = model.predict_proba(table)
    assert list(p.columns) == list(LABELS) and list(p.index) == list(table.index)
    assert ((p >= 0) & (p <= 1)).all().all()
    assert (p.idxmax(axis=1) == truth.idxmax(axis=1)).mean() >= 0.9


@pytest.mark.slow
def test_fit_copes_with_a_feature_no_run_has():
    """A corpus where no run logged an accuracy has ``train_acc_final`` NaN everywhere; the trees
    take missing values, so fitting must still work (and ignore that feature)."""
    table, truth = c.separable_table()
    table["train_acc_final"] = np.nan
    two = truth[["overfitting", "healthy"]]  # two labels are enough, and quicker to fit
    fitted = learned.fit(table, two, features=tuple(FEATURES))
    p = fitted.predict_proba(table)
    shown = two.any(axis=1)
    assert (p.idxmax(axis=1) == two.idxmax(axis=1))[shown].all()


@pytest.mark.slow
def test_predict_needs_every_feature(model):
    table, _ = c.separable_table()
    with pytest.raises(ModelUnavailable, match="train_drop"):
        model.predict_proba(table.drop(columns="train_drop"))


@pytest.mark.slow
def test_predict_on_no_runs_is_an_empty_frame(model):
    table, _ = c.separable_table()
    empty = model.predict_proba(table.iloc[:0])
    assert empty.empty and list(empty.columns) == list(LABELS)


# --- save and load --------------------------------------------------------------------------------


@pytest.mark.slow
def test_saved_model_loads_back_with_identical_probabilities(model, model_file):
    loaded, findings = LearnedModel.load(model_file)
    assert findings == []
    assert (loaded.features, loaded.labels, loaded.sklearn_version, loaded.trained_on) == (
        model.features,
        model.labels,
        model.sklearn_version,
        model.trained_on,
    )
    table, _ = c.separable_table(seed=2)
    pd.testing.assert_frame_equal(loaded.predict_proba(table), model.predict_proba(table))


def test_a_file_holding_an_untrusted_type_is_refused_naming_the_type(light, tmp_path):
    path = tmp_path / "smuggled.skops"
    skops.io.dump(_stored(light, estimator=Smuggled()), path)
    with pytest.raises(ModelUnavailable, match="Smuggled") as raised:
        LearnedModel.load(path)
    assert "smuggled.skops" in str(raised.value)


def test_an_untrusted_type_beside_the_estimator_is_refused(light, tmp_path):
    path = tmp_path / "extra.skops"
    skops.io.dump(_stored(light, trained_on=Smuggled()), path)
    with pytest.raises(ModelUnavailable, match="Smuggled"):
        LearnedModel.load(path)


def test_a_model_made_of_other_sklearn_trees_is_refused_naming_the_type(tmp_path):
    """Only the types the curvescope model is made of are trusted, not every scikit-learn estimator."""
    table, truth = c.separable_table()
    trees = MultiOutputClassifier(DecisionTreeClassifier(max_depth=2)).fit(table.to_numpy(), truth.to_numpy(dtype=np.int64))
    path = tmp_path / "trees.skops"
    LearnedModel(trees, tuple(FEATURES), tuple(LABELS), sklearn.__version__, "trees").save(path)
    with pytest.raises(ModelUnavailable, match=r"sklearn\.tree\._tree\.Tree"):
        LearnedModel.load(path)


@pytest.mark.parametrize("keep", [0, 0.5, -1], ids=["empty", "half", "last-byte-missing"])
def test_a_damaged_file_is_unavailable(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)] if keep >= 0 else data[:-1])
    with pytest.raises(ModelUnavailable, match="model.skops"):
        LearnedModel.load(saved)


def test_a_file_that_is_not_a_model_at_all_is_unavailable(tmp_path):
    path = tmp_path / "notes.skops"
    path.write_text("run,label\nexp1,healthy\n")
    with pytest.raises(ModelUnavailable):
        LearnedModel.load(path)


@pytest.mark.parametrize(
    "stored",
    [
        {"format": learned.FORMAT + 1},
        ["not", "a", "dict"],
        {"estimator": "no format key"},
    ],
    ids=["other-format", "a-list", "no-format"],
)
def test_a_skops_file_of_another_shape_is_unavailable(tmp_path, stored):
    path = tmp_path / "other.skops"
    skops.io.dump(stored, path)
    with pytest.raises(ModelUnavailable):
        LearnedModel.load(path)


def test_a_model_file_missing_a_field_is_unavailable_not_a_crash(light, tmp_path):
    """A format-1 file without its feature list (hand-made, or from an older writer) must fall back
    like any other unusable model: the shipped-model loader only catches ModelUnavailable."""
    path = tmp_path / "partial.skops"
    stored = _stored(light)
    del stored["features"]
    skops.io.dump(stored, path)
    with pytest.raises(ModelUnavailable):
        LearnedModel.load(path)


def test_another_sklearn_version_loads_with_a_cs014_finding(light, tmp_path):
    path = tmp_path / "old.skops"
    skops.io.dump(_stored(light, sklearn="0.1.0"), path, compression=zipfile.ZIP_DEFLATED)
    loaded, findings = LearnedModel.load(path)
    assert [f.code for f in findings] == ["CS014"]
    assert "0.1.0" in findings[0].message
    table, _ = c.separable_table()
    pd.testing.assert_frame_equal(loaded.predict_proba(table), light.predict_proba(table))


def test_same_minor_version_is_no_finding(light, tmp_path):
    major, minor, *_ = light.sklearn_version.split(".")
    path = tmp_path / "patch.skops"
    skops.io.dump(_stored(light, sklearn=f"{major}.{minor}.999"), path)
    assert LearnedModel.load(path)[1] == []


# --- the model in an audit ------------------------------------------------------------------------


def test_audit_with_a_model_instance_or_its_file_gives_the_same_report(light, saved):
    frame = c.frame({"u": c.val_loss_u_shape(), "h": c.healthy(), "nan": c.diverges_to_nan()})
    by_instance = curvescope.audit(frame, model=light)
    by_file = curvescope.audit(frame, model=saved)
    assert by_instance.to_dict() == by_file.to_dict()
    assert by_instance.settings["model"] == "light"
    for run in by_instance:
        for verdict in run.diagnosis.verdicts:
            assert verdict.model_confidence is not None and 0 <= verdict.model_confidence <= 1
            assert verdict.driver in ("rules", "model", "rules+model")


@pytest.mark.slow
def test_model_diagnoses_use_model_codes_and_cite_features(model):
    frame = c.frame({"u": c.val_loss_u_shape(), "nan": c.diverges_to_nan(), "cut": c.cut_while_improving()})
    report = curvescope.audit(frame, model=model)
    for run in report:
        for d in run.diagnosis.diagnoses:
            if d.origin == "model":
                assert d.code == f"CS9{PROBLEMS.index(d.label) + 1:02d}"
                assert d.label not in run.diagnosis.not_judged
                assert 0.5 <= d.confidence <= 1


def test_audit_with_an_old_version_model_reports_cs014(light, tmp_path):
    path = tmp_path / "old.skops"
    skops.io.dump(_stored(light, sklearn="0.1.0"), path)
    report = curvescope.audit(c.frame({"h": c.healthy()}), model=path)
    assert "CS014" in {f.code for f in report.findings}
    assert report.settings["model"] == "light"


def test_audit_with_a_damaged_model_file_the_user_chose_is_a_clear_error(saved):
    """A model the user named explicitly is not silently replaced by the rules: the audit stops with
    a CurvescopeError naming the file (only the shipped model falls back, with a CS015 finding)."""
    saved.write_bytes(saved.read_bytes()[:100])
    frame = c.frame({"u": c.val_loss_u_shape(), "h": c.healthy()})
    with pytest.raises(curvescope.CurvescopeError, match="model.skops"):
        curvescope.audit(frame, model=saved)


def test_audit_refuses_a_model_that_predicts_other_labels(light):
    """A model instance must predict curvescope's labels; one that does not is a bad parameter
    (named as such), not a KeyError from deep inside the combination."""
    other = LearnedModel(
        light.estimator, light.features, tuple(f"label{i}" for i in range(len(LABELS))), light.sklearn_version, "other labels"
    )
    with pytest.raises(curvescope.InvalidParameterError, match="'model'"):
        curvescope.audit(c.frame({"h": c.healthy()}), model=other)


def test_audit_rejects_a_model_of_the_wrong_type():
    with pytest.raises(curvescope.InvalidParameterError, match="'model'"):
        curvescope.audit(c.frame({"h": c.healthy()}), model=3)


# --- the shipped model ----------------------------------------------------------------------------


def test_missing_shipped_model_leaves_the_rules_with_a_cs015_finding(shipped_path, tmp_path):
    shipped_path(tmp_path / "gone" / "model.skops")
    assert learned.shipped_model()[0] is None
    report = curvescope.audit(DEMO)
    assert [f.code for f in report.findings if f.code in ("CS014", "CS015")] == ["CS015"]
    assert report.settings["model"] is None
    rules_alone = curvescope.audit(DEMO, model=False)
    assert [(r.run, r.labels) for r in report] == [(r.run, r.labels) for r in rules_alone]
    assert len(report) == len(curvescope.read(DEMO).runs)


def test_damaged_shipped_model_leaves_the_rules_with_a_cs015_finding(shipped_path, saved):
    saved.write_bytes(saved.read_bytes()[:-1])
    shipped_path(saved)
    report = curvescope.audit(c.frame({"h": c.healthy()}))
    assert "CS015" in {f.code for f in report.findings}


def test_shipped_model_with_other_labels_is_not_used(shipped_path, light, tmp_path):
    path = tmp_path / "model.skops"
    skops.io.dump(_stored(light, labels=[*PROBLEMS, "great"]), path)
    shipped_path(path)
    loaded, findings = learned.shipped_model()
    assert loaded is None and [f.code for f in findings] == ["CS015"]


def test_shipped_model_that_loads_is_used(shipped_path, saved):
    shipped_path(saved)
    loaded, findings = learned.shipped_model()
    assert loaded is not None and findings == ()
    report = curvescope.audit(c.frame({"h": c.healthy()}))
    assert report.settings["model"] == "light"
    assert not {f.code for f in report.findings} & {"CS014", "CS015"}


def test_the_shipped_model_is_loaded_once(shipped_path, saved, monkeypatch):
    shipped_path(saved)
    calls = []
    load = LearnedModel.load.__func__
    monkeypatch.setattr(LearnedModel, "load", classmethod(lambda cls, path: calls.append(path) or load(cls, path)))
    learned.shipped_model()
    learned.shipped_model()
    assert len(calls) == 1


def test_the_shipped_model_gives_the_demo_the_stored_probabilities():
    """The model reads the runs' natural-unit features through its own matrix: whatever way the
    features are laid out, the shipped model must see what it was trained on."""
    shipped, findings = learned.shipped_model()
    assert shipped is not None, findings
    expected = pd.read_csv(SHIPPED_ON_DEMO, index_col="run")
    got = shipped.predict_proba(table(measure(curvescope.read(DEMO)).values()))
    assert list(got.index) == list(expected.index) and list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-9)


def test_log_scaled_features_are_natural_in_the_record_and_log10_in_the_model_matrix():
    runs = measure(curvescope.read(DEMO))
    assert LOG_SCALED and LOG_SCALED <= set(FEATURES)
    blown = runs["keras/digits-mlp-tanh-sgd"]
    train = blown.curves["train_loss"]
    assert blown.value("points") == len(train)
    assert blown.value("explosion_ratio") == divergence(train)[0]["explosion_ratio"] > 10
    assert blown.value("peak_vs_start") > 1
    decayed = runs["huggingface/digits-mlp-tanh-sgd"]
    assert decayed.value("lr_total_decay") == decayed.schedule.total_decay == pytest.approx(1000)
    frame = table(runs.values())
    matrix = learned._matrix(frame, tuple(FEATURES))
    for column, name in enumerate(FEATURES):
        natural = frame[name].tolist()
        read = [math.log10(v) if v > 0 else math.nan for v in natural] if name in LOG_SCALED else natural
        expected = np.nan_to_num(np.array(read), nan=learned.MISSING, posinf=-learned.MISSING, neginf=learned.MISSING)
        np.testing.assert_array_equal(matrix[:, column], expected, err_msg=name)
    row, column = list(runs).index(blown.run), list(FEATURES).index("explosion_ratio")
    assert matrix[row, column] == pytest.approx(2.22653, abs=1e-5)  # log10 of the 168x rise, as the model was trained


@pytest.mark.slow
def test_features_and_model_agree_on_the_feature_vector(model):
    frame = c.frame({"h": c.healthy()})
    report = curvescope.audit(frame, model=model)
    assert list(report["h"].features) == list(FEATURES)
    assert np.isfinite(report["h"].features["train_drop"])
