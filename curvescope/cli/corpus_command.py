"""``curvescope eval`` and ``curvescope train``: the learned model on a labelled corpus."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .. import evaluate
from ..errors import InvalidParameterError
from ..text import printable
from .common import DEBUG_HELP, MAX_COUNT, app, guarded

FORMATS = ("text", "markdown")
ALL = "all"


@app.command(
    "eval",
    epilog="Examples:\n\n  curvescope eval fixtures/corpus --split test --fractions\n\n"
    "  curvescope eval OTHER_CORPUS --train-on fixtures/corpus --train-split all\n\n"
    "  curvescope eval fixtures/corpus --also OTHER_CORPUS --leave-one-family-out --jobs 2",
)
def eval_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="Only runs of this split (labels.csv's split column), or 'all'. "
            "By default test, or all with --train-on or --leave-one-family-out.",
        ),
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A model file; the shipped model by default.")] = None,
    train_on: Annotated[
        Path | None,
        typer.Option("--train-on", help="Train the model on this labelled corpus (in memory), score it on CORPUS."),
    ] = None,
    train_split: Annotated[
        str, typer.Option("--train-split", help="The runs of --train-on to train on: a split or 'all'.")
    ] = "train",
    leave_one_family_out: Annotated[
        bool,
        typer.Option("--leave-one-family-out", help="Judge each family's runs by a model trained on all other families, pooled."),
    ] = False,
    also: Annotated[
        list[Path] | None, typer.Option("--also", help="Another labelled corpus to pool with CORPUS for --leave-one-family-out.")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, max=MAX_COUNT, help="Families fitted at once with --leave-one-family-out.")
    ] = 1,
    fractions: Annotated[
        bool, typer.Option("--fractions", help="Also diagnose every run cut at 25/50/75/100% of its steps.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_COUNT, help="Random seed of the models trained in memory.")] = 0,
    output_format: Annotated[str, typer.Option("--format", help=f"Output: {' or '.join(FORMATS)}.")] = "text",
    no_classes: Annotated[
        bool, typer.Option("--no-classes", help="Ignore labels.csv's class counts, as for a user who does not pass --classes.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Per-label precision, recall and F1, macro-F1, calibration error, healthy false alarms and the targets
    met, for the rules alone, the model alone and both: on a held-out split with a stored model, across
    corpora (--train-on), or with each family left out in turn (--leave-one-family-out)."""

    def work() -> None:
        from ..evaluation import render, views
        from ..evaluation.run_length import run_length

        if output_format not in FORMATS:
            raise InvalidParameterError(f"--format must be one of {', '.join(FORMATS)}; got {output_format!r}.")
        if sum([model is not None, train_on is not None, leave_one_family_out]) > 1:
            raise InvalidParameterError("choose one of --model, --train-on and --leave-one-family-out.")
        if also and not leave_one_family_out:
            raise InvalidParameterError("--also pools corpora for --leave-one-family-out; add it, or leave --also out.")
        if fractions and leave_one_family_out:
            raise InvalidParameterError("--fractions judges runs with one model, so not with --leave-one-family-out.")
        markdown = output_format == "markdown"
        chosen = split or ("test" if train_on is None and not leave_one_family_out else ALL)
        load = functools.partial(evaluate.load, split=None if chosen == ALL else chosen, use_classes=not no_classes)
        labelled = load(corpus)
        if leave_one_family_out:
            named = [(corpus.name, labelled)] + [(path.name, load(path)) for path in also or []]
            pooled = views.pool(named)
            count = views.families(pooled).nunique()
            heading = (
                f"{len(pooled.truth)} labelled runs of {', '.join(name for name, _ in named)} (split: {chosen}), "
                f"each of {count} families judged by a model trained on the others (seed {seed})"
            )
            typer.echo(
                render.scores(views.leave_one_family_out(pooled, seed=seed, jobs=jobs), heading=heading, markdown=markdown)
            )
            return
        if train_on is not None:
            training = evaluate.load(train_on, split=None if train_split == ALL else train_split, use_classes=not no_classes)
            described = f"{train_on.name} (split: {train_split}, {len(training.truth)} runs, seed {seed})"
            learned = views.cross_corpus_model(training, labelled, seed=seed, trained_on=described)
            heading = f"{len(labelled.truth)} labelled runs of {corpus.name} (split: {chosen}), model trained on {described}"
        else:
            learned = _stored_model(model)
            heading = f"{len(labelled.truth)} labelled runs (split: {chosen})"
        text = render.scores(evaluate.evaluate(labelled, learned), heading=heading, markdown=markdown)
        if fractions:
            text += "\n\n" + render.run_length(run_length(labelled, learned), markdown=markdown)
        if no_classes:
            text += "\n\n(class counts ignored: chance levels only where a first accuracy shows them)"
        typer.echo(text)

    guarded(work, debug)


def _stored_model(path: Path | None):
    """The model in ``path``, or the shipped one; its warnings on stderr."""
    from ..diagnose import LearnedModel, shipped_model

    learned, findings = LearnedModel.load(path) if path is not None else shipped_model()
    for item in findings:
        Console(stderr=True).print(f"warning: {printable(item.message)}", highlight=False, markup=False, soft_wrap=True)
    return learned


@app.command(
    "train",
    epilog="Example:\n\n  curvescope train fixtures/corpus --also fixtures/torch_corpus --output curvescope/diagnose/model.skops",
)
def train_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", help="Where to write the model (skops format).")],
    also: Annotated[
        list[Path] | None, typer.Option("--also", help="Another labelled corpus to train on too (the same split of each).")
    ] = None,
    split: Annotated[str | None, typer.Option("--split", help="Train on this split only.")] = "train",
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_COUNT, help="Random seed.")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Fit the learned model on one labelled corpus or several pooled (reproducible: fixed seed)."""

    def work() -> None:
        from ..evaluation import views

        paths = [corpus, *(also or [])]
        named = [(path.name, evaluate.load(path, split=split)) for path in paths]
        labelled = views.pool(named)
        described = (
            " + ".join(name for name, _ in named)
            + (f" split {split}" if split else "")
            + f", {len(labelled.truth)} runs, seed {seed}"
        )
        model = evaluate.train(labelled, seed=seed, trained_on=described)
        model.save(output)
        counts = labelled.truth.sum().astype(int).to_dict()
        typer.echo(f"trained on {described} ({', '.join(f'{k} {v}' for k, v in counts.items())}); written to {output}")

    guarded(work, debug)
