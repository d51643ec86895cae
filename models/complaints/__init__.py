"""Complaints (反映问题): filed by villagers from an asset's page, handled by staff step by step."""
