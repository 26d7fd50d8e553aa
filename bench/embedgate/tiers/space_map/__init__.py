"""tiers.space_map."""
