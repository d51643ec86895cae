"""The yearly evaluation (考核) of villages and towns."""
