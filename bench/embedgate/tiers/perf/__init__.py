"""tiers.perf."""
