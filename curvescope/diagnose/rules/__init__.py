"""The built-in rules, one module per label; importing this package registers them."""

from . import bad_init, decay, lr_too_high, overfitting, underfitting

__all__ = ["bad_init", "decay", "lr_too_high", "overfitting", "underfitting"]
