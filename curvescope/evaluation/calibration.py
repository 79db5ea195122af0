"""Is a confidence of 0.8 right eight times in ten? The reliability table and the expected calibration error."""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = 10


def reliability(confidence, correct) -> pd.DataFrame:
    """``BINS`` equal-width confidence bins over [0, 1] (the last one holds 1.0): for each, how many
    predictions fell in it, their mean confidence and the share of them that were right (NaN when empty)."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    bins = np.minimum((confidence * BINS).astype(np.int64), BINS - 1)
    rows = []
    for b in range(BINS):
        inside = bins == b
        count = int(inside.sum())
        rows.append(
            {
                "bin": f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}",
                "count": count,
                "confidence": float(confidence[inside].mean()) if count else np.nan,
                "accuracy": float(correct[inside].mean()) if count else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("bin")


def calibration_error(table: pd.DataFrame) -> float:
    """The expected calibration error of a reliability table: the bins' gaps between accuracy and mean
    confidence, weighted by their share of the predictions (NaN without predictions)."""
    filled = table[table["count"] > 0]
    total = filled["count"].sum()
    if not total:
        return float("nan")
    return float((filled["count"] * (filled["accuracy"] - filled["confidence"]).abs()).sum() / total)
