"""Data-health findings: what reading met that a user should know about.

Each kind has a stable code (``CS0xx``, the data-health family) and a kebab-case name; the
last two concern the learned model rather than a log.
Findings are plain, picklable data; the file and run they concern are relative paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class FindingKind:
    code: str
    name: str
    severity: Severity
    summary: str


_KINDS = (
    FindingKind(
        "CS001",
        "unreadable-file",
        Severity.ERROR,
        "A file could not be opened or is not the log it looks like; nothing was read from it.",
    ),
    FindingKind(
        "CS002",
        "truncated-record",
        Severity.WARNING,
        "The file ends in a half-written record (a run still writing, or a crash); every complete record was read.",
    ),
    FindingKind(
        "CS003",
        "repeated-steps",
        Severity.WARNING,
        "Steps were written more than once (a resumed run); the newest write of each step is kept.",
    ),
    FindingKind("CS004", "non-finite-values", Severity.INFO, "NaN or infinite values were logged; they are kept, as evidence."),
    FindingKind(
        "CS005",
        "no-loss-curve",
        Severity.WARNING,
        "The run has no training or validation loss curve; most diagnoses cannot be made.",
    ),
    FindingKind(
        "CS006",
        "corrupt-record",
        Severity.WARNING,
        "A record failed its checksum or could not be decoded; it was skipped and reading went on.",
    ),
    FindingKind("CS007", "empty-file", Severity.WARNING, "The file holds no data (zero bytes, or only a header)."),
    FindingKind(
        "CS008",
        "unparseable-cells",
        Severity.WARNING,
        "Some cells could not be read as numbers; they are kept as missing values.",
    ),
    FindingKind("CS009", "no-step-column", Severity.WARNING, "No step-like column was found; row order was used as the step."),
    FindingKind(
        "CS010", "git-lfs-pointer", Severity.ERROR, "The file is a Git LFS pointer, not the log itself; run `git lfs pull`."
    ),
    FindingKind(
        "CS011", "unsupported-value", Severity.INFO, "A value tagged as a scalar could not be read as one number; it was skipped."
    ),
    FindingKind("CS012", "ignored-file", Severity.INFO, "A file looked like a log but held no metrics curvescope can use."),
    FindingKind(
        "CS013", "unreadable-directory", Severity.ERROR, "A directory could not be listed (permissions) or is a symlink loop."
    ),
    FindingKind(
        "CS014",
        "model-version-mismatch",
        Severity.INFO,
        "The learned model was saved with another scikit-learn version; it loaded and runs.",
    ),
    FindingKind(
        "CS015",
        "model-unavailable",
        Severity.WARNING,
        "The learned model could not be loaded or trusted; runs are diagnosed by the rules alone.",
    ),
    FindingKind(
        "CS016",
        "cache-unusable",
        Severity.INFO,
        "The cache folder could not be made or its file opened; the audit read every file and kept nothing.",
    ),
    FindingKind(
        "CS017",
        "restarted-log",
        Severity.WARNING,
        "The log holds several sessions (its steps go back); they are kept apart as segments, and the run is judged "
        "on its last segment (a fresh start) or stitched (a resume), as the data shows.",
    ),
    FindingKind(
        "CS018",
        "loss-scale-mismatch",
        Severity.WARNING,
        "The training and validation losses differ in scale by 100x or more (a sum against a mean); their gap is not measured.",
    ),
    FindingKind(
        "CS019",
        "reinforcement-learning-run",
        Severity.INFO,
        "A reward is logged: reward tells progress, and the loss-shape labels are not judged on its losses.",
    ),
    FindingKind(
        "CS020",
        "fine-tuned-run",
        Severity.INFO,
        "The run fine-tunes a pretrained model: a loss that barely falls is not read as underfitting.",
    ),
    FindingKind(
        "CS022",
        "lr-range-test",
        Severity.INFO,
        "An LR range test (a rate rising every step until the loss diverges): its divergence is by design, so the labels "
        "are not judged; its suggested rates are reported (curvescope lr-find).",
    ),
    FindingKind(
        "CS023",
        "cyclic-step-size",
        Severity.INFO,
        "A cyclic schedule's step size (half a cycle) is outside the 2-10 epochs the cyclic-learning-rate paper found best.",
    ),
    FindingKind(
        "CS024",
        "gradient-norm-spike",
        Severity.INFO,
        "The gradient norm spiked steps before the loss exploded: the earliest sign that the learning rate is too high.",
    ),
    FindingKind(
        "CS025",
        "early-decay-floor",
        Severity.INFO,
        "The learning rate decayed to the floor it kept to the end before half of the run: the rest trained at the floor.",
    ),
    FindingKind(
        "CS026",
        "plateau-cut-on-noise",
        Severity.INFO,
        "A reduce-on-plateau schedule cut the learning rate while validation was still improving: a noisy evaluation "
        "tripped its patience.",
    ),
    FindingKind(
        "CS027",
        "short-warmup",
        Severity.INFO,
        "The learning rate was at its peak from the first steps and the training loss spiked early, then recovered: "
        "a warm-up (or a lower peak) avoids the spike.",
    ),
    FindingKind(
        "CS028",
        "update-ratio",
        Severity.INFO,
        "The logged update-to-weight ratio sits 10x or more from the 1e-3 CS231n calls about right: by that rule of "
        "thumb, the rate may be off in that direction.",
    ),
    FindingKind(
        "CS021",
        "cache-rebuilt",
        Severity.WARNING,
        "The cache file was damaged (not a database, or cut short); it was set aside and a new one started.",
    ),
)
KINDS: dict[str, FindingKind] = {kind.code: kind for kind in _KINDS}
_BY_NAME: dict[str, FindingKind] = {kind.name: kind for kind in _KINDS}


@dataclass(frozen=True)
class Finding:
    """One data-health problem: which kind, where (file and run), and what exactly."""

    code: str
    message: str
    source: str | None = None
    run: str | None = None
    count: int | None = None
    steps: tuple[int, ...] = field(default=())

    @property
    def kind(self) -> FindingKind:
        return KINDS[self.code]

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    def __str__(self) -> str:
        where = self.source or self.run or ""
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message} [{self.code} {self.name}]"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "run": self.run,
            "source": self.source,
            "message": self.message,
            "count": self.count,
            "steps": list(self.steps),
        }


def finding(name: str, message: str, **where) -> Finding:
    """Make a finding by kind name: ``finding("truncated-record", "...", source=path)``."""
    return Finding(code=_BY_NAME[name].code, message=message, **where)
