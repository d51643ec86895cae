"""Staff accounts, their roles and departments, and password handling."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.errors import Invalid, NotFound
from models.regions import Region, RegionLevel

# Argon2id with argon2-cffi's parameters (RFC 9106's low-memory profile: 3 passes over 64 MiB).
PRODUCTION_PASSWORD_HASHER = PasswordHasher()
password_hasher = PRODUCTION_PASSWORD_HASHER  # the tests swap in a cheap one (tests/conftest.py)
PHONE_PATTERN = re.compile(r"^1\d{10}$")
MIN_PASSWORD_LENGTH = 8
MAX_NAME_LENGTH = 40
# Django's convention: a hash beginning with "!" matches no password (an account that has not set
# one yet, or whose password an administrator reset).
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 (a marker, not a password)


class Role(LabelledEnum):
    DISTRICT_ADMIN = ("district_admin", "区乡村振兴局")
    DEPARTMENT = ("department", "行业主管部门")
    TOWN_OFFICIAL = ("town_official", "乡镇工作专班")
    VILLAGE_CLERK = ("village_clerk", "村干部")
    VILLAGE_SUPERVISOR = ("village_supervisor", "村级监督")
    CUSTODIAN = ("custodian", "管护员")

    @property
    def region_level(self) -> RegionLevel:
        """The level of region a person in this role works at."""
        return _ROLE_LEVEL[self]

    @property
    def edits_register(self) -> bool:
        return self in (Role.DISTRICT_ADMIN, Role.DEPARTMENT, Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK)


class VillagePost(LabelledEnum):
    """The two village posts that sign the self-check and self-evaluation (seed 000 五(二)、(三)).

    Each is held by one active supervisor of the village at a time, and one person holds at most one.
    """

    SUPERVISION_COMMITTEE_CHAIR = ("supervision_committee_chair", "村务监督委员会主任")
    COOPERATIVE_BOARD_CHAIR = ("cooperative_board_chair", "合作社监事会主任")


_ROLE_LEVEL = {
    Role.DISTRICT_ADMIN: RegionLevel.DISTRICT,
    Role.DEPARTMENT: RegionLevel.DISTRICT,
    Role.TOWN_OFFICIAL: RegionLevel.TOWN,
    Role.VILLAGE_CLERK: RegionLevel.VILLAGE,
    Role.VILLAGE_SUPERVISOR: RegionLevel.VILLAGE,
    Role.CUSTODIAN: RegionLevel.VILLAGE,
}

department_subtypes = Table(
    "department_subtypes",
    Base.metadata,
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("subtype_id", ForeignKey("asset_subtypes.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Base):
    """An industry department of a district (交通运输局, 水利局 …) and the asset types it oversees."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(60))

    subtypes = relationship("AssetSubtype", secondary=department_subtypes, lazy="selectin")


def department_named(session: Session, district: Region, name: str) -> Department:
    """The district's department called `name` (交通运输局 …)."""
    department = session.scalar(
        select(Department).where(Department.district_id == district.id, Department.name == name.strip())
    )
    if department is None:
        raise NotFound(f"本区没有名为「{name}」的部门。")
    return department


class User(Base):
    """A member of staff who signs in; villagers are not users (they are WeChat visitors)."""

    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_village_post_holder",
            "region_id",
            "village_post",
            unique=True,
            sqlite_where=text("active AND village_post IS NOT NULL"),
            postgresql_where=text("active AND village_post IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    village_post: Mapped[VillagePost | None] = mapped_column(enum_column(VillagePost))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[instant]
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<User {self.phone} {self.role.value}>"

    def check_password(self, password: str) -> bool:
        try:
            return password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def password_needs_rehash(self) -> bool:
        return password_hasher.check_needs_rehash(self.password_hash)

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid({"password": f"密码至少需要{MIN_PASSWORD_LENGTH}位。"})
        self.password_hash = password_hasher.hash(password)

    def disable_password(self) -> None:
        """No password signs in any more until a new one is set (through a one-time link)."""
        self.password_hash = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)


def create_user(
    session: Session,
    *,
    phone: str,
    name: str,
    password: str | None,
    role: Role,
    region: Region,
    department: Department | None = None,
    village_post: VillagePost | None = None,
    now: dt.datetime,
) -> User:
    """Create a staff account, checking that its region, department and post fit its role.

    Without a password the account cannot sign in until one is set through a one-time link."""
    phone, name = phone.strip(), name.strip()
    errors = account_problems(
        session, phone=phone, name=name, role=role, region=region, department=department, village_post=village_post
    )
    if errors:
        raise Invalid(errors)
    user = User(
        phone=phone,
        name=name,
        role=role,
        region=region,
        department=department,
        village_post=village_post,
        created_at=now,
    )
    if password is None:
        user.disable_password()
    else:
        user.set_password(password)
    session.add(user)
    session.flush()
    return user


def account_problems(
    session: Session,
    *,
    phone: str,
    name: str,
    role: Role,
    region: Region,
    department: Department | None,
    village_post: VillagePost | None,
    user: User | None = None,
) -> dict[str, str]:
    """Why these details do not make a valid account (for `user`, when it exists already)."""
    errors = {}
    if not PHONE_PATTERN.match(phone):
        errors["phone"] = "手机号应为11位数字，以1开头。"
    else:
        taken = select(User.id).where(User.phone == phone)
        if user is not None:
            taken = taken.where(User.id != user.id)
        if session.scalar(taken) is not None:
            errors["phone"] = "这个手机号已经有账号了。"
    if not name:
        errors["name"] = "姓名不能为空。"
    elif len(name) > MAX_NAME_LENGTH or not name.isprintable() or name[0] in "=+-@":
        errors["name"] = f"姓名最多{MAX_NAME_LENGTH}个字，不能含控制字符，也不能以 = + - @ 开头。"
    if region.level is not role.region_level:
        errors["region"] = f"{role.label}的所属区域应是{role.region_level.label}，而不是{region.level.label}。"
    if (role is Role.DEPARTMENT) != (department is not None):
        errors["department"] = "行业主管部门账号必须且只能选择一个部门。"
    elif department is not None and department.district_id != region.own_district_id:
        errors["department"] = "部门须属于账号所在的区县。"
    if village_post is not None:
        errors.update(post_problems(session, role, region, village_post, user))
    return errors


def post_problems(
    session: Session, role: Role, village: Region, post: VillagePost, holder: User | None = None
) -> dict[str, str]:
    """Why a person of `role` in `village` cannot hold `post` (empty when they can)."""
    if role is not Role.VILLAGE_SUPERVISOR:
        return {"village_post": f"只有{Role.VILLAGE_SUPERVISOR.label}账号可以担任{post.label}。"}
    holders = select(User.name).where(User.region_id == village.id, User.village_post == post, User.active.is_(True))
    if holder is not None:
        holders = holders.where(User.id != holder.id)
    taken_by = session.scalar(holders)
    if taken_by is not None:
        return {"village_post": f"本村的{post.label}已由{taken_by}担任。"}
    return {}


def post_holder(session: Session, village: Region, post: VillagePost) -> User | None:
    """The active person holding `post` in `village`, if anyone does."""
    return session.scalar(
        select(User).where(User.region_id == village.id, User.village_post == post, User.active.is_(True))
    )


def authenticate(session: Session, phone: str, password: str) -> User | None:
    """The active user with this phone and password, or None. Upgrades old hashes on the way."""
    user = session.scalar(select(User).where(User.phone == phone.strip()))
    if user is None or not user.has_password:
        password_hasher.hash(password)  # spend the same time whether or not a password could match
        return None
    if not user.check_password(password) or not user.active:
        return None
    if user.password_needs_rehash():
        user.password_hash = password_hasher.hash(password)
    return user


def record_sign_in(user: User, now: dt.datetime) -> None:
    """Note when the person last signed in (by password or by WeChat), for those who manage them."""
    user.last_sign_in_at = now
