"""Assemble runs: the readers' rows into one tidy scalars frame, each tag's role, the public
``read()``, and a run's curves read again when a report draws them."""
