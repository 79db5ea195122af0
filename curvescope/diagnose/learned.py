"""The learned classifier: calibrated probabilities for every label, from the feature vector.

It reads the runs' features in natural units (``curvescope.features.table``) and makes its own
matrix: the ``LOG_SCALED`` features as log10, for fitting and predicting alike.

One gradient-boosted tree model per label (multi-label: a run may carry several), each
calibrated by cross-validation (Platt scaling), trained with a fixed seed. The first loss over
the chance level ln(C) tells a bad initialisation apart best, but only when the number of
classes is known; so a second, class-blind model, trained without that feature, judges the
runs whose chance level is unknown. Both are stored in skops's format, which rebuilds objects
without unpickling: loading accepts only the scikit-learn types they are made of, checks that
they predict and the scikit-learn version they were saved with. A model that cannot be
trusted or loaded leaves curvescope with its rules alone and a finding that says why.
"""

from __future__ import annotations

import functools
import math
import zipfile
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..errors import CurvescopeError, InvalidParameterError
from ..features.extract import LOG_SCALED
from ..findings import Finding, finding
from .labels import LABELS, unknown_to_model

MODEL_FILE = "model.skops"
FORMAT = 1
MISSING = -1e6
CHANCE_FEATURE = "initial_loss_vs_chance"
"""Known only with the number of classes; runs without it go to the class-blind model."""
TRUSTED_TYPES = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
"""The only types outside skops's default trust list a stored model may contain."""


class ModelUnavailable(CurvescopeError):
    """The stored model cannot be used; the message says why."""


@dataclass(frozen=True)
class LearnedModel:
    """A fitted classifier and what it expects: feature names in order and label names; optionally
    a ``blind`` classifier (its features lack ``CHANCE_FEATURE``) for runs whose chance level is unknown."""

    estimator: object
    features: tuple[str, ...]
    labels: tuple[str, ...]
    sklearn_version: str
    trained_on: str
    blind: tuple[object, tuple[str, ...]] | None = None
    """(estimator, features) of the class-blind model."""

    def predict_proba(self, table: pd.DataFrame) -> pd.DataFrame:
        """Probability of each label for each run (rows of ``table``, which holds the feature columns in natural units)."""
        missing = [name for name in self.features if name not in table.columns]
        if missing:
            raise ModelUnavailable(f"the model needs features the table lacks: {', '.join(missing)}")
        probabilities = np.zeros((len(table), len(self.labels)))
        blind = np.zeros(len(table), dtype=bool)
        if self.blind is not None and CHANCE_FEATURE in table.columns:
            blind = ~np.isfinite(table[CHANCE_FEATURE].to_numpy(dtype=np.float64))
        parts = ((~blind, self.estimator, self.features), (blind, *(self.blind or (None, ()))))
        with threadpool_limits(1):  # a few hundred rows: threads only cost, and oversubscribe a busy machine
            for rows, estimator, features in parts:
                if rows.any():
                    x = _matrix(table[rows], features)
                    probabilities[rows] = np.column_stack([p[:, 1] for p in estimator.predict_proba(x)])
        return pd.DataFrame(probabilities, index=table.index, columns=list(self.labels))

    def save(self, path: str | Path) -> None:
        import skops.io

        stored = {
            "format": FORMAT,
            "estimator": self.estimator,
            "features": list(self.features),
            "labels": list(self.labels),
            "sklearn": self.sklearn_version,
            "trained_on": self.trained_on,
            "blind": None if self.blind is None else {"estimator": self.blind[0], "features": list(self.blind[1])},
        }
        skops.io.dump(stored, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)

    @classmethod
    def load(cls, path: str | Path) -> tuple[LearnedModel, list[Finding]]:
        """Load a stored model, trusting only ``TRUSTED_TYPES`` beyond skops's defaults, and check that
        it predicts; raise ``ModelUnavailable`` otherwise. A model saved with another scikit-learn
        version that passes the check comes with a finding saying so.
        """
        import skops.io
        from skops.io.exceptions import UntrustedTypesFoundException

        try:
            stored = skops.io.load(path, trusted=list(TRUSTED_TYPES))
        except UntrustedTypesFoundException:
            unexpected = sorted(set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
            raise ModelUnavailable(f"{Path(path).name} holds types curvescope does not trust: {', '.join(unexpected)}") from None
        except Exception as exc:  # a damaged or foreign file is a reason to fall back, whatever it raised
            raise ModelUnavailable(f"{Path(path).name} could not be loaded ({type(exc).__name__}: {exc})") from exc
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ModelUnavailable(f"{Path(path).name} is not a curvescope model of format {FORMAT}")
        try:
            blind = stored.get("blind")
            model = cls(
                stored["estimator"],
                tuple(map(str, stored["features"])),
                tuple(map(str, stored["labels"])),
                str(stored["sklearn"]),
                str(stored.get("trained_on", "")),
                None if blind is None else (blind["estimator"], tuple(map(str, blind["features"]))),
            )
        except (KeyError, TypeError) as exc:
            raise ModelUnavailable(f"{Path(path).name} lacks a field of a curvescope model ({exc})") from exc
        _probe(model, Path(path).name)
        findings = []
        if _minor(model.sklearn_version) != _minor(_sklearn_version()):
            findings.append(
                finding(
                    "model-version-mismatch",
                    f"the learned model was saved with scikit-learn {model.sklearn_version}; "
                    f"{_sklearn_version()} is installed. It loaded and runs, but its probabilities "
                    "may differ slightly; retrain it with `curvescope train CORPUS`.",
                )
            )
        return model, findings


def _probe(model: LearnedModel, name: str) -> None:
    """Predict one run of unmeasured features: a model that cannot is unusable, whatever its contents."""
    probe = pd.DataFrame(np.full((2, len(model.features)), np.nan), columns=list(model.features))
    if CHANCE_FEATURE in probe.columns:
        probe.loc[0, CHANCE_FEATURE] = 1.0  # one run for each of the two models
    try:
        probabilities = model.predict_proba(probe)
    except Exception as exc:  # whatever a foreign estimator raises, it cannot serve
        raise ModelUnavailable(
            f"{name} does not predict on scikit-learn {_sklearn_version()} ({type(exc).__name__}: {exc})"
        ) from exc
    if probabilities.shape != (2, len(model.labels)):
        raise ModelUnavailable(f"{name} gives {probabilities.shape[1]} probabilities per run for {len(model.labels)} labels")


def fit(
    table: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    features: tuple[str, ...],
    seed: int = 0,
    trained_on: str = "",
    class_blind: bool = True,
) -> LearnedModel:
    """Fit one calibrated model per label of ``truth`` (runs × labels, booleans) on ``table``'s
    features (natural units), and the class-blind model without ``CHANCE_FEATURE`` (when it is one of
    them, unless ``class_blind`` is false)."""
    folds = 5
    for label in truth.columns:
        positives = int(truth[label].sum())
        if min(positives, len(truth) - positives) < folds:
            raise InvalidParameterError(
                f"training needs at least {folds} runs with and {folds} without each label; {label!r} has "
                f"{positives} of {len(truth)}. Label more runs."
            )
    rows, y = table.loc[truth.index], truth.to_numpy(dtype=np.int64)
    blind_features = tuple(name for name in features if name != CHANCE_FEATURE)
    wanted = class_blind and blind_features != tuple(features)
    blind = (_fitted(rows, y, blind_features, seed, folds), blind_features) if wanted else None
    return LearnedModel(
        _fitted(rows, y, tuple(features), seed, folds),
        tuple(features),
        tuple(truth.columns),
        _sklearn_version(),
        trained_on,
        blind,
    )


def _fitted(rows: pd.DataFrame, y: np.ndarray, features: tuple[str, ...], seed: int, folds: int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.multioutput import MultiOutputClassifier

    trees = HistGradientBoostingClassifier(
        max_iter=120, learning_rate=0.08, max_depth=3, l2_regularization=1.0, min_samples_leaf=10, random_state=seed
    )
    estimator = MultiOutputClassifier(CalibratedClassifierCV(trees, method="sigmoid", cv=folds, ensemble=False))
    with threadpool_limits(1):
        return estimator.fit(_matrix(rows, features), y)


def shipped_model_path() -> Path:
    return Path(str(resources.files(__package__).joinpath(MODEL_FILE)))


@functools.cache
def shipped_model() -> tuple[LearnedModel | None, tuple[Finding, ...]]:
    """The model that ships with curvescope, loaded once per process; ``None`` with a finding when
    it is missing or cannot be used (diagnosis then rests on the rules alone)."""
    path = shipped_model_path()
    try:
        if not path.is_file():
            raise ModelUnavailable(f"{MODEL_FILE} is missing from the installed package")
        model, findings = LearnedModel.load(path)
    except ModelUnavailable as exc:
        return None, (finding("model-unavailable", f"{exc}; diagnosing with the rules alone."),)
    if unknown_to_model(model.labels):
        return None, (
            finding(
                "model-unavailable",
                f"{MODEL_FILE} predicts {', '.join(model.labels)}, not labels among {', '.join(LABELS)} with healthy; "
                "diagnosing with the rules alone.",
            ),
        )
    return model, tuple(findings)


def _matrix(table: pd.DataFrame, features) -> np.ndarray:
    """The feature matrix: the ``LOG_SCALED`` features as log10 (NaN unless positive), the others as
    they are; a feature that could not be measured (NaN) becomes ``MISSING``, a value no feature
    takes, so a feature never measured in training cannot break the trees' binning."""
    x = table.loc[:, list(features)].to_numpy(dtype=np.float64, copy=True)
    for column, name in enumerate(features):
        if name in LOG_SCALED:
            x[:, column] = [math.log10(value) if value > 0 else math.nan for value in x[:, column].tolist()]
    return np.nan_to_num(x, nan=MISSING, posinf=-MISSING, neginf=MISSING)


def _sklearn_version() -> str:
    """The installed scikit-learn's version, without importing it (a second, on a warm audit that needs no model)."""
    return version("scikit-learn")


def _minor(number: str) -> tuple[str, ...]:
    return tuple(number.split(".")[:2])
