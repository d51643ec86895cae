"""The yearly performance evaluation (绩效化管理): score sheets, evidence, the village's form and
signatures, and the results."""

from models.evaluations import signing as _signing  # noqa: F401  (registers the notice outcome handler)
