"""Tiers: one module each, one entry function `run(embedder, data, params, ctx) -> TierResult`."""
