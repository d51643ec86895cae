"""The domain of guanhu: entities and the rules on them. Imports nothing from Flask or WeChat."""

from models import assets, audit, people, regions  # noqa: F401  (register every table)
from models.base import Base

__all__ = ["Base"]
