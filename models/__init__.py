"""The domain of guanhu: entities and the rules on them. Imports nothing from Flask or WeChat."""

from models import audit, people, photos, regions, shared_state  # noqa: F401  (register every table)
from models.assets import entities as _assets  # noqa: F401
from models.base import Base
from models.complaints import entities as _complaints  # noqa: F401
from models.deadlines import entities as _deadlines  # noqa: F401
from models.evaluations import entities as _evaluations  # noqa: F401
from models.maintenance import entities as _maintenance  # noqa: F401
from models.notices import entities as _notices  # noqa: F401
from models.operating import entities as _operating  # noqa: F401
from models.scheduling import entities as _scheduling  # noqa: F401
from models.sign_in import sessions as _sessions  # noqa: F401
from models.sign_in import throttle as _throttle  # noqa: F401
from models.staff import entities as _staff  # noqa: F401
from models.wechat import entities as _wechat  # noqa: F401

__all__ = ["Base"]
