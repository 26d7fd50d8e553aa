"""HTML report rendered from results JSON alone (never from live objects)."""
