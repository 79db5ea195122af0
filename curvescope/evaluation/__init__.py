"""Views of a diagnosis's accuracy beyond one corpus's split: calibration, training on one corpus and
scoring on another, leaving each family out, and runs cut short."""
