"""Shared test settings (importable thanks to ``pythonpath = ["tests"]``)."""

# Networks small enough that a FairGANSampler fits in well under a second.
TINY_GAN = {
    "epochs": 1,
    "batch_size": 64,
    "d_model": 8,
    "n_heads": 2,
    "dim_feedforward": 16,
    "adversary_hidden": 8,
    "random_state": 0,
}
