"""Operating assets: their income (收益)."""
