"""``curvescope eval`` and ``curvescope train``: the learned model on a labelled corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .. import evaluate
from ..text import printable
from .common import DEBUG_HELP, MAX_COUNT, app, guarded


@app.command("eval", epilog="Example:\n\n  curvescope eval fixtures/corpus --split test")
def eval_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    split: Annotated[str | None, typer.Option("--split", help="Only runs of this split (labels.csv's split column).")] = "test",
    model: Annotated[Path | None, typer.Option("--model", help="A model file; the shipped model by default.")] = None,
    no_classes: Annotated[
        bool, typer.Option("--no-classes", help="Ignore labels.csv's class counts, as for a user who does not pass --classes.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Per-label precision, recall and F1, macro-F1, the confusion matrix and healthy false alarms,
    for the rules alone, the model alone and both."""

    def work() -> None:
        from ..diagnose import LearnedModel, shipped_model

        labelled = evaluate.load(corpus, split=split, use_classes=not no_classes)
        learned, findings = LearnedModel.load(model) if model is not None else shipped_model()
        for item in findings:
            Console(stderr=True).print(f"warning: {printable(item.message)}", highlight=False, markup=False, soft_wrap=True)
        results = evaluate.evaluate(labelled, learned)
        typer.echo(
            evaluate.render(results, runs=len(labelled.truth), split=split)
            + ("\n\n(class counts ignored: chance levels only where a first accuracy shows them)" if no_classes else "")
        )

    guarded(work, debug)


@app.command("train", epilog="Example:\n\n  curvescope train fixtures/corpus --output curvescope/diagnose/model.skops")
def train_command(
    corpus: Annotated[Path, typer.Argument(help="A labelled corpus: labels.csv beside the runs.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", help="Where to write the model (skops format).")],
    split: Annotated[str | None, typer.Option("--split", help="Train on this split only.")] = "train",
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_COUNT, help="Random seed.")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Fit the learned model on a labelled corpus (reproducible: fixed seed)."""

    def work() -> None:
        labelled = evaluate.load(corpus, split=split)
        described = f"{corpus.name}" + (f" split {split}" if split else "") + f", {len(labelled.truth)} runs, seed {seed}"
        model = evaluate.train(labelled, seed=seed, trained_on=described)
        model.save(output)
        counts = labelled.truth.sum().astype(int).to_dict()
        typer.echo(f"trained on {described} ({', '.join(f'{k} {v}' for k, v in counts.items())}); written to {output}")

    guarded(work, debug)
