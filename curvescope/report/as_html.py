"""The audit as one self-contained HTML page: a summary table, then per run its labels, evidence,
fix and curves, with the evidence drawn on the curves.

The page opens offline: inline CSS, no script, charts as inline SVG drawn by matplotlib (a
``Figure`` of its own, never pyplot) with text kept as text. Every string read from a log (run
names, tags, messages) is escaped, and two renders of one report are byte-identical.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogLocator, MaxNLocator, NullLocator

from ..diagnose.diagnosis import Evidence, RunDiagnosis, Verdict
from ..diagnose.labels import LABELS, label_colour
from ..diagnose.labels import label as label_record
from ..features.detectors import trend
from ..features.events import Curve, Event
from ..findings import Finding
from ..lr.links import range_test_links
from .drawing import LOG_DECADES, MARK_COLOUR, OTHER_COLOUR, PANEL_OF, PANELS, ROLE_COLOUR, panels, series_name, thin
from .numbers import NUMBERS

if TYPE_CHECKING:
    from .result import Report, RunReport

_PANEL_HEIGHT = {"loss": 2.6, "accuracy": 1.7, "learning rate": 1.3}
"""The height of each of the chart's ``PANELS``, in inches."""
_KEY = {
    "plateau": "shaded: plateau",
    "frozen": "hatched: the curve stopped moving",
    "explosion": "red \u25b2 \u25bc: explosion onset and peak",
    "non_finite": "\u2716 at the top: first non-finite value",
    "spike": "\u25cb: spike",
    "lr_drop": "purple rule: learning-rate drop (dashed: read off the loss)",
    "best_step": "teal rule and \u2605: best validation step",
    "gap": "brown arrow: train/validation gap",
    "initial_loss": "grey dotted line: chance-level loss",
}
"""What each mark on a chart means, listed under the charts that carry it. A static chart marks some
evidence otherwise than the app's (``drawing.MARK_KEY``): no tooltip tells an explosion's onset from its peak."""

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "curvescope",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "legend.fontsize": 7,
    "axes.linewidth": 0.6,
}
"""Text stays text, ids are the same every render, small type."""

Trends = dict[str, tuple[np.ndarray, np.ndarray]]
"""Role -> the finite steps of its curve and their smoothed values."""


def render(report: Report) -> str:
    """The report as one HTML5 document that opens offline: counts and findings, a summary table,
    then one section per run."""
    anchors = [f"run-{index}" for index in range(len(report.runs))]
    sections = [_section(run, anchor) for run, anchor in zip(report.runs, anchors)]
    body = "\n".join(part for part in [_header(report), _summary(report, anchors), _range_tests(report), *sections] if part)
    title = f"curvescope audit: {_runs(len(report.runs))}"
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# --- the page -------------------------------------------------------------------------------------


def _header(report: Report) -> str:
    counts = report.counts()
    badges = " ".join(_badge(label, note=str(counts[label])) for label in sorted(counts, key=_label_order))
    settings = report.settings
    about = f"{_runs(len(report.runs))}, curvescope {settings.get('curvescope', '?')}, model: {settings.get('model') or 'none'}"
    hidden = report.hidden_note()
    about += f"; {hidden}" if hidden else ""
    return (
        f'<header id="top">\n<h1>curvescope audit</h1>\n<p class="muted">{escape(about)}</p>\n'
        f'<p class="counts">{badges or "no labels"}</p>\n{_reading_findings(report.findings)}\n</header>'
    )


def _range_tests(report: Report) -> str:
    """Each LR range test with the runs of its folder (nothing when there is no test with runs beside it)."""
    parts = []
    for link in range_test_links(report.runs):
        if link.runs:
            head, *lines = link.lines()
            items = "".join(f"<li>{escape(line.strip())}</li>" for line in lines)
            parts.append(f"<p>{escape(head)}</p>\n<ul>{items}</ul>")
    return f'<section class="range-tests">\n<h2>LR range tests</h2>\n{"".join(parts)}\n</section>' if parts else ""


def _reading_findings(findings: tuple[Finding, ...]) -> str:
    if not findings:
        return '<p class="muted">Reading met nothing to report.</p>'
    by_severity = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    tally = ", ".join(f"{n} {s}{'' if n == 1 else 's'}" for s, n in by_severity.items() if n)
    opened = " open" if len(findings) <= 20 else ""
    return (
        f"<details{opened}><summary>{len(findings)} reading findings ({tally})</summary>\n"
        f"{_findings_list(findings, where=True)}\n</details>"
    )


def _summary(report: Report, anchors: list[str]) -> str:
    rows = [
        f'<tr><td><a href="#{anchor}">{escape(run.run)}</a></td><td>{_labels(run.diagnosis)}</td>'
        f'<td class="num">{_number(run.numbers.get("best_val_step"))}</td>'
        f'<td class="num">{_number(run.numbers.get("final_train_loss"))}</td>'
        f'<td class="num">{_number(run.numbers.get("final_val_loss"))}</td>'
        f"<td>{escape(run.fix) if run.fix else _number(None)}</td></tr>"
        for run, anchor in zip(report.runs, anchors)
    ]
    return (
        '<table id="summary" class="summary">\n<thead><tr><th>run</th><th>labels</th><th>best val step</th>'
        "<th>final train loss</th><th>final val loss</th><th>fix</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _section(run: RunReport, anchor: str) -> str:
    d = run.diagnosis
    parts = [
        f'<section class="run" id="{anchor}">',
        f'<h2>{escape(run.run)} <a class="up" href="#top" title="back to the summary">\u2191</a></h2>',
        f"<p>{_labels(d)}</p>",
        f'<p class="muted"><i>{escape(d.doubt)}</i></p>' if d.doubt else "",
        _numbers(run.numbers),
        _chart(run, anchor),
        *(_verdict(verdict) for verdict in d.verdicts),
        _events(run.events, opened=not d.verdicts),
        _suspicions(d),
        _explained(d),
        _not_judged(d),
        _failures(d),
    ]
    if run.findings:
        parts.append(f"<h3>Reading findings</h3>\n{_findings_list(run.findings, where=False)}")
    if run.hparams:
        cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in run.hparams.items())
        parts.append(f'<details><summary>hyperparameters</summary>\n<table class="small">{cells}</table>\n</details>')
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _labels(diagnosis: RunDiagnosis) -> str:
    if not diagnosis.labels:
        return '<span class="badge" style="background:#9e9e9e">not judged</span>'
    return " ".join(_badge(label, note=f"{_confidence(diagnosis, label):.0%}") for label in diagnosis.labels)


def _confidence(diagnosis: RunDiagnosis, label: str) -> float:
    verdict = diagnosis.verdict(label)
    return verdict.confidence if verdict is not None else diagnosis.confidence


def _badge(label: str, *, note: str) -> str:
    colour = label_colour(label)
    meaning = label_record(label).meaning if label in LABELS else ""
    return f'<span class="badge" style="background:{colour}" title="{escape(meaning)}">{escape(label)} {escape(note)}</span>'


def _numbers(numbers: Mapping[str, float | int | None]) -> str:
    cells = "".join(f"<div><dt>{name.replace('_', ' ')}</dt><dd>{_number(numbers.get(name))}</dd></div>" for name in NUMBERS)
    return f'<dl class="numbers">{cells}</dl>'


def _verdict(verdict: Verdict) -> str:
    support = f"rules {verdict.rule_confidence:.0%}"
    if verdict.model_confidence is not None:
        support += f", model {verdict.model_confidence:.0%}"
    diagnoses = "".join(
        f"<li><code>{escape(x.code)}</code> {escape(x.name)} ({escape(x.origin)}, {x.confidence:.0%}): {escape(x.message)}"
        + (f'<br><span class="muted">fix: {escape(x.fix)}</span>' if x.fix != verdict.fix else "")
        + "</li>"
        for x in verdict.diagnoses
    )
    return (
        f'<div class="verdict">\n<h3>{_badge(verdict.label, note=f"{verdict.confidence:.0%}")} '
        f'<span class="muted">driven by {escape(verdict.driver)} ({support})</span></h3>\n'
        f'<p class="fix"><b>Fix:</b> {escape(verdict.fix)}</p>\n<ul>{diagnoses}</ul>\n{_evidence(verdict.evidence)}\n</div>'
    )


def _evidence(evidence: tuple[Evidence, ...]) -> str:
    """The verdict's evidence, once per place and account (a rule's item with its threshold first)."""
    if not evidence:
        return ""
    unique: dict[tuple, Evidence] = {}
    for item in evidence:
        unique.setdefault((item.kind, item.start_step, item.end_step, item.description), item)
    rows = "".join(
        f"<tr><td>{escape(e.kind)}</td><td>{_steps(e.start_step, e.end_step)}</td>"
        f'<td class="num">{_number(e.value)}</td><td class="num">{_number(e.threshold)}</td>'
        f"<td>{escape(e.description)}</td></tr>"
        for e in unique.values()
    )
    return (
        '<table class="small"><thead><tr><th>evidence</th><th>steps</th><th>value</th><th>threshold</th>'
        f"<th>what</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _events(events: tuple[Event, ...], *, opened: bool) -> str:
    if not events:
        return ""
    rows = "".join(
        f"<tr><td>{escape(e.kind)}</td><td>{_steps(e.start_step, e.end_step)}</td><td>{escape(e.description)}</td></tr>"
        for e in events
    )
    return (
        f"<details{' open' if opened else ''}><summary>Located on the curves ({len(events)})</summary>\n"
        f'<table class="small"><thead><tr><th>event</th><th>steps</th><th>what</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>\n</details>"
    )


def _suspicions(diagnosis: RunDiagnosis) -> str:
    if not diagnosis.suspicions:
        return ""
    items = "".join(f"<li>{escape(text)}</li>" for text in diagnosis.suspected())
    return f"<h3>Suspected, not given</h3>\n<ul>{items}</ul>"


def _explained(diagnosis: RunDiagnosis) -> str:
    if not diagnosis.explained:
        return ""
    items = "".join(f"<li>{escape(label)} is explained by {escape(by)}</li>" for label, by in diagnosis.explained.items())
    return f"<h3>Explained by a stronger label</h3>\n<ul>{items}</ul>"


def _not_judged(diagnosis: RunDiagnosis) -> str:
    if not diagnosis.not_judged:
        return ""
    items = "".join(f"<li><b>{escape(label)}</b>: {escape(reason)}</li>" for label, reason in diagnosis.not_judged.items())
    return f"<h3>Not judged</h3>\n<ul>{items}</ul>"


def _failures(diagnosis: RunDiagnosis) -> str:
    if not diagnosis.failures:
        return ""
    items = "".join(f"<li><code>{escape(f.code)}</code> failed: {escape(f.reason)}</li>" for f in diagnosis.failures)
    return f"<h3>Rule failures</h3>\n<ul>{items}</ul>"


def _findings_list(findings: tuple[Finding, ...], *, where: bool) -> str:
    items = "".join(
        f'<li><span class="sev-{escape(str(f.severity))}">{escape(str(f.severity))}</span> '
        f"<code>{escape(f.code)}</code> {escape(f.name)}: "
        + (f"<i>{escape(f.source or f.run or '')}</i> " if where and (f.source or f.run) else "")
        + f"{escape(f.message)}</li>"
        for f in findings
    )
    return f'<ul class="findings">{items}</ul>'


def _steps(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f"{start}" if end is None or end == start else f"{start}\u2013{end}"


def _number(value: float | int | None) -> str:
    if value is None:
        return "\u2014"
    if isinstance(value, int | np.integer):
        return str(value)
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _runs(count: int) -> str:
    return f"{count} run{'' if count == 1 else 's'}"


def _label_order(label: str) -> tuple[int, str]:
    return (LABELS.index(label) if label in LABELS else len(LABELS), label)


# --- the chart ------------------------------------------------------------------------------------


def _chart(run: RunReport, anchor: str) -> str:
    """The run's curves as inline SVG, the evidence drawn on them, and a key to the marks."""
    names = panels(run)
    if not names:
        return '<p class="muted">No curves were logged for this run.</p>'
    trends = {role: _trend(curve) for role, curve in run.curves.items()}
    roles_on = dict(PANELS)
    with matplotlib.rc_context(_RC):
        heights = [_PANEL_HEIGHT[name] for name in names]
        figure = Figure(figsize=(7.5, sum(heights) + 0.3 * len(names) + 0.4))
        grid = figure.subplots(
            len(names),
            1,
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": heights, "hspace": 0.3 * len(names) / sum(heights)},
        )
        axes = dict(zip(names, grid[:, 0]))
        for name, ax in axes.items():
            _draw_panel(ax, name, [run.curves[r] for r in roles_on[name] if len(run.curves.get(r, ()))], trends)
        drawn = _draw_events(axes, run.events, run.curves, trends)
        grid[-1, 0].set_xlabel("step")
        figure.subplots_adjust(left=0.1, right=0.98, top=1 - 0.28 / figure.get_figheight(), bottom=0.38 / figure.get_figheight())
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    key = " \u00b7 ".join(_KEY[kind] for kind in _KEY if kind in drawn)
    figure_html = f"<figure>{_inline_svg(buffer.getvalue(), anchor, run.run)}"
    return figure_html + (f'<figcaption class="muted">{escape(key)}</figcaption>' if key else "") + "</figure>"


def _inline_svg(svg: str, anchor: str, run: str) -> str:
    """Matplotlib's SVG made fit to sit inside the page: no XML prolog, metadata, namespace URLs (HTML
    knows SVG's) or indentation; inside its tags (never in drawn text), matplotlib's own unreferenced
    ids dropped, the rest prefixed with the run's anchor so that no two charts share one, and
    coordinates cut to two decimals."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = re.sub(r"\n\s+", "\n", svg)
    svg = re.sub(r"<[^>]+>", lambda tag: _tidy_tag(tag.group(0), anchor), svg)
    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(f"curves of {run}")}"', 1).strip()


def _tidy_tag(tag: str, anchor: str) -> str:
    tag = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", tag)
    tag = re.sub(r'\sid="[\w.]+_\d+"', "", tag)  # figure_1, line2d_7...: referenced by nothing
    tag = re.sub(r'(\sid="|href="#|url\(#)', rf"\1{anchor}-", tag)
    return re.sub(r"(\.\d\d)\d+", r"\1", tag)


def _trend(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    finite = curve.finite()
    return finite.steps, (trend(finite) if len(finite) else finite.values)


def _draw_panel(ax: Axes, name: str, curves: list[Curve], trends: Trends) -> None:
    """Each curve's raw points faint and its smoothed trend bold (the learning rate, a setting not a
    measurement, is drawn as logged), on a log axis when it spans decades."""
    _scale(ax, np.concatenate([c.finite().values for c in curves]))
    for curve in curves:
        colour = ROLE_COLOUR.get(curve.role, OTHER_COLOUR)
        label = _chart_text(series_name(curve, curve.role))
        finite = curve.finite()
        steps, values = thin(finite.steps, finite.values)
        if curve.role == "lr":
            ax.plot(steps, values, color=colour, lw=1.4, label=label)
            continue
        ax.plot(steps, values, color=colour, alpha=0.3, lw=0.8, marker="o" if len(steps) <= 60 else None, ms=2)
        ax.plot(*thin(*trends[curve.role]), color=colour, lw=1.6, label=label)
    ax.set_ylabel(name)
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(curves), frameon=False, borderaxespad=0.1)


def _scale(ax: Axes, values: np.ndarray) -> None:
    """A log y-axis for positive values spanning more than ``LOG_DECADES``; few ticks.

    Its limits are set before anything is drawn and end at ``1e200``: on a loss that reached 1e300,
    matplotlib's own margin and tick decades would overflow."""
    low, high = (math.log10(values.min()), math.log10(values.max())) if len(values) and values.min() > 0 else (0, 0)
    if high - low > LOG_DECADES:
        margin = 0.05 * (high - low)
        ax.set_yscale("log")
        ax.set_ylim(10 ** (low - margin), 10 ** min(high + margin, 200.0))
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(LogFormatter())
    else:
        ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))


def _chart_text(text: str, limit: int = 48) -> str:
    """Log text as matplotlib draws it literally: dollars escaped (no mathtext), long text shortened."""
    text = text if len(text) <= limit else text[: limit - 1] + "\u2026"
    return text.replace("$", r"\$")


# --- the evidence on the chart --------------------------------------------------------------------

Mark = Callable[[Axes, Event, Mapping[str, Curve], Trends], list[Artist]]


def _draw_events(axes: dict[str, Axes], events: tuple[Event, ...], curves: Mapping[str, Curve], trends: Trends) -> set[str]:
    """Draw each event on its panel (rules for lr drops and the best step across all panels), give
    every mark an id naming its event (``explosion-3-0``), and return the kinds drawn."""
    drawn = set()
    for index, event in enumerate(events):
        artists = _rules(axes, event)
        panel = axes.get(PANEL_OF.get(event.role or "", ""))
        mark = _MARKS.get(event.kind)
        if panel is not None and mark is not None and event.role in trends:
            artists += mark(panel, event, curves, trends)
        for number, artist in enumerate(artists):
            artist.set_gid(f"{event.kind}-{index}-{number}")
        if artists:
            drawn.add(event.kind)
    return drawn


def _rules(axes: dict[str, Axes], event: Event) -> list[Artist]:
    """Vertical rules through every panel: at a learning-rate drop (dashed when read off the loss)
    and at the best validation step."""
    colour = MARK_COLOUR.get(event.kind)
    if event.kind == "lr_drop":
        step, style = ((event.start_step + event.end_step) / 2, "--") if event.inferred else (event.end_step, "-")
        return [ax.axvline(step, color=colour, ls=style, lw=0.9, alpha=0.8) for ax in axes.values()]
    if event.kind == "best_step":
        return [ax.axvline(event.end_step, color=colour, ls=":", lw=1.1) for ax in axes.values()]
    return []


def _plateau(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    return [ax.axvspan(event.start_step, event.end_step, color=MARK_COLOUR["plateau"], alpha=0.2, lw=0)]


def _frozen(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    colour = MARK_COLOUR["frozen"]
    return [ax.axvspan(event.start_step, event.end_step, facecolor="none", edgecolor=colour, hatch="//", alpha=0.5, lw=0)]


def _explosion(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    steps, smoothed = trends[event.role]
    onset, peak = (float(np.interp(s, steps, smoothed)) for s in (event.start_step, event.end_step))
    colour = MARK_COLOUR["explosion"]
    return [
        *ax.plot([event.start_step], [onset], "^", color=colour, ms=7),
        *ax.plot([event.end_step], [peak], "v", color=colour, ms=7),
        ax.annotate(
            f"\u00d7{event.magnitude:.0f}",
            (event.end_step, peak),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            color=colour,
            fontsize=7,
        ),
    ]


def _non_finite(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    colour, top = MARK_COLOUR["non_finite"], ax.get_xaxis_transform()
    return [
        *ax.plot([event.start_step], [0.95], "X", color=colour, ms=8, transform=top),
        ax.text(event.start_step, 0.95, f" {event.magnitude}", transform=top, color=colour, va="center", fontsize=7),
    ]


def _spike(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    finite = curves[event.role].finite()
    value = float(np.interp(event.start_step, finite.steps, finite.values))
    return ax.plot([event.start_step], [value], "o", mfc="none", color=MARK_COLOUR["spike"], ms=6, mew=0.8)


def _best(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    if not math.isfinite(event.magnitude):
        return []
    return ax.plot([event.end_step], [event.magnitude], "*", color=MARK_COLOUR["best_step"], ms=10, mec="white", mew=0.5)


def _gap(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    """A double arrow at the gap's last step between what it was measured on: the smoothed training
    loss and the validation loss."""
    if "train_loss" not in trends or not len(trends["train_loss"][0]):
        return []
    step, colour, val_finite = event.end_step, MARK_COLOUR["gap"], curves[event.role].finite()
    train = float(np.interp(step, *trends["train_loss"]))
    val = float(np.interp(step, val_finite.steps, val_finite.values))
    middle = math.sqrt(train * val) if ax.get_yscale() == "log" and train > 0 and val > 0 else (train + val) / 2
    arrow = ax.annotate("", (step, val), xytext=(step, train), arrowprops={"arrowstyle": "<->", "color": colour, "lw": 1.2})
    return [
        arrow.arrow_patch,
        ax.annotate(f"gap {event.magnitude:.2f} ", (step, middle), ha="right", va="center", color=colour, fontsize=7),
    ]


def _initial(ax: Axes, event: Event, curves: Mapping[str, Curve], trends: Trends) -> list[Artist]:
    """The first loss marked, and the chance level it was measured against as a dotted line."""
    finite = curves[event.role].finite()
    first = float(finite.values[0])
    colour = MARK_COLOUR["initial_loss"]
    marks = ax.plot([event.start_step], [first], "s", color=colour, ms=5)
    if event.magnitude > 0:
        chance = first / event.magnitude
        low, high = ax.get_ylim()
        if ax.get_yscale() == "log" and not low <= chance <= high:
            ax.set_ylim(min(low, chance / 1.5), max(high, chance * 1.5))
        marks += [
            ax.axhline(chance, color=colour, ls=":", lw=1),
            ax.annotate(
                "chance level", (0.01, chance), xycoords=("axes fraction", "data"), va="bottom", color=colour, fontsize=7
            ),
        ]
    return marks


_MARKS: dict[str, Mark] = {
    "plateau": _plateau,
    "frozen": _frozen,
    "explosion": _explosion,
    "non_finite": _non_finite,
    "spike": _spike,
    "best_step": _best,
    "gap": _gap,
    "initial_loss": _initial,
}


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;
color:#212121;background:#fff}
h1{margin:.2em 0}h2{margin:0 0 .4em;font-size:1.25em;word-break:break-all}h3{font-size:1em;margin:1em 0 .3em}
.muted{color:#616161}.counts .badge{font-size:.95em}
.badge{display:inline-block;color:#fff;border-radius:.8em;padding:.05em .6em;margin:.1em .15em .1em 0;font-size:.85em;
white-space:nowrap}
table{border-collapse:collapse;margin:.4em 0}th,td{border-bottom:1px solid #e0e0e0;padding:.25em .5em;text-align:left;
vertical-align:top}
.summary{width:100%}.summary td:first-child{word-break:break-all}.num{text-align:right;font-variant-numeric:tabular-nums}
table.small{font-size:.85em}
section.run{border-top:2px solid #e0e0e0;margin-top:2em;padding-top:1em}
.up{text-decoration:none;font-size:.8em;color:#9e9e9e}
dl.numbers{display:flex;flex-wrap:wrap;gap:.3em 1.2em;margin:.5em 0;font-size:.85em}dl.numbers div{display:flex;gap:.4em}
dt{color:#616161}dd{margin:0;font-variant-numeric:tabular-nums}
figure{margin:.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.8em}
.fix{background:#f5f5f5;border-left:3px solid #9e9e9e;padding:.3em .6em;margin:.3em 0}
.verdict ul,.findings{margin:.3em 0;padding-left:1.3em}
.sev-error{color:#c62828;font-weight:600}.sev-warning{color:#e65100;font-weight:600}.sev-info{color:#1565c0}
code{font-size:.9em}details{margin:.4em 0}summary{cursor:pointer}
"""
