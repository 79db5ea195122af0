"""What assembling adds once roles are chosen: a summed loss where only its components are logged,
and a finding when the training and validation losses differ in scale.

Detection losses are logged as components (YOLO's ``train/box_loss``, ``train/obj_loss``,
``train/cls_loss``; ultralytics' ``dfl_loss``). When no total is logged, their sum per step is
added as a derived tag (``train/loss_sum``, ``val/loss_sum``) that plays the loss role; the
components stay as tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..features.detectors import SCALE_MISMATCH, scale_ratio, start_level
from ..findings import Finding, finding
from ..schema import LABEL_COLUMNS, SCALAR_COLUMNS, categorical
from .roles import ROLE_PATTERNS, ROLES, RoleChoice

_COMPONENT = re.compile(r"(?P<prefix>[^/]+)/(?P<name>\w+)_loss")
_COMPONENT_RANKS = frozenset(
    rank for rank, entry in enumerate(ROLE_PATTERNS) if entry.role in ("train_loss", "val_loss") and "component" in entry.note
)
SUM_SUFFIX = "loss_sum"
DETECTION_COMPONENTS = frozenset({"box", "obj", "cls", "dfl", "seg", "pose", "kobj", "giou", "iou", "l1", "bbox", "mask"})
"""Components of a detector's loss (YOLO: box, obj, cls; ultralytics: box, cls, dfl, seg, pose): summed when no
total is logged. Other partial losses (an actor's and a critic's) are not summed."""


def sum_components(
    scalars: pd.DataFrame,
    roles: dict[str, dict[str, str]],
    explanations: dict[str, dict[str, RoleChoice]],
    overrides: Mapping[str, tuple[str, ...]],
) -> pd.DataFrame:
    """``scalars`` with a summed loss for each run whose loss role fell to one component of several.

    ``roles`` and ``explanations`` are updated in place: the sum plays the role, the components stay tags."""
    wanted = [
        (run, role, choice)
        for run, choices in explanations.items()
        for role, choice in choices.items()
        if role not in overrides and choice.tag is not None and choice.pattern in _COMPONENT_RANKS
    ]
    if not wanted:
        return scalars
    added, unset = [], []
    for run, role, choice in wanted:
        prefix = _COMPONENT.fullmatch(choice.tag)
        if prefix is None:  # a tag the component pattern took that is no component (a damaged name)
            continue
        rows = scalars[scalars["run"] == run]
        tags = sorted(t for t in map(str, rows["tag"].unique()) if _same_prefix(t, prefix))
        name = f"{prefix['prefix']}/{SUM_SUFFIX}"
        if len(tags) < 2 or name in set(map(str, rows["tag"].unique())):
            continue
        parts = rows[rows["tag"].isin(tags)]
        table = parts.pivot_table(index="step", columns="tag", values="value", aggfunc="last", observed=True)
        table = table[list(tags)].dropna()
        if not len(table):
            continue
        wall = parts.groupby("step", observed=True)["wall_time"].max().reindex(table.index)
        source = parts.groupby("step", observed=True)["source"].first().astype("str").reindex(table.index)
        segment = parts.groupby("step", observed=True)["segment"].max().reindex(table.index)
        added.append(
            pd.DataFrame(
                {
                    "run": run,
                    "tag": name,
                    "step": table.index.to_numpy(np.int64),
                    "wall_time": wall.to_numpy(np.float64),
                    "value": table.sum(axis=1).to_numpy(np.float64),
                    "source": source.to_numpy(dtype=object),
                    "role": role,
                    "segment": segment.to_numpy(scalars["segment"].dtype),
                }
            )
        )
        unset.append((run, choice.tag))
        roles[run][role] = name
        others = tuple((tag, "one component of the sum; it stays a tag") for tag in tags) + tuple(
            (tag, why) for tag, why in choice.others if tag not in tags
        )
        explanations[run][role] = RoleChoice(
            role,
            name,
            f"derived: the sum of {', '.join(tags)} at each step, as no total {role.replace('_', ' ')} is logged",
            None,
            others,
            choice.direction,
        )
    if not added:
        return scalars
    frame = scalars.copy()
    role = frame["role"].astype("object")
    for run, tag in unset:
        role[(frame["run"] == run) & (frame["tag"] == tag)] = None
    frame["role"] = role
    frame = pd.concat([frame.astype({c: "object" for c in LABEL_COLUMNS}), *added], ignore_index=True)
    for column in LABEL_COLUMNS:
        frame[column] = categorical(frame[column].astype("str").where(frame[column].notna()), ROLES if column == "role" else None)
    frame = frame.sort_values(["run", "tag", "step"], kind="stable", ignore_index=True)
    return frame[list(SCALAR_COLUMNS)]


def _same_prefix(tag: str, match: re.Match | None) -> bool:
    """Whether ``tag`` is a detection loss component under the same prefix as ``match``."""
    other = _COMPONENT.fullmatch(tag)
    return (
        match is not None
        and other is not None
        and other["prefix"] == match["prefix"]
        and other["name"].lower() in DETECTION_COMPONENTS
    )


def loss_scale_findings(scalars: pd.DataFrame, roles: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """A finding for each run whose training and validation losses differ in scale by ``SCALE_MISMATCH`` or more
    at their start (``features.detectors.scale_ratio``: later, a gap that wide is overfitting)."""
    runs = [run for run, chosen in roles.items() if "train_loss" in chosen and "val_loss" in chosen]
    if not runs:
        return []
    rows = scalars[scalars["role"].isin(["train_loss", "val_loss"]) & scalars["run"].isin(runs)]
    values = {key: group["value"].to_numpy() for key, group in rows.groupby(["run", "role"], observed=True)}
    findings = []
    for run in runs:
        if (run, "train_loss") not in values or (run, "val_loss") not in values:
            continue
        train, val = values[(run, "train_loss")], values[(run, "val_loss")]
        ratio = scale_ratio(train, val)
        if ratio >= SCALE_MISMATCH:
            train, val = start_level(train), start_level(val)
            t, v = roles[run]["train_loss"], roles[run]["val_loss"]
            findings.append(
                finding(
                    "loss-scale-mismatch",
                    f"the training loss {t} (starting near {train:.3g}) and the validation loss {v} (starting near {val:.3g}) "
                    f"differ {ratio:,.0f}x in scale (a sum against a mean?); the gap between them is not measured",
                    run=run,
                )
            )
    return findings
