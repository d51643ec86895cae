"""The home page's reading of the other domains: what waits for a person, and their region at a glance."""
