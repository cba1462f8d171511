"""pytest plugin (placeholder until issue 4 lands): registered, does nothing."""
