"""Who may see and change what: the one place every register query goes through.

A person sees what lies under their own region; an industry department sees only its own asset
sub-types within its district. Anything outside that scope is reported as not found, never as
forbidden, so ids of other regions reveal nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.complaints.entities import Complaint
from models.errors import Forbidden, NotFound
from models.evaluations.entities import VillageEvaluation
from models.notices.entities import PublicNotice
from models.people import Role, User
from models.regions import Region, RegionLevel
from models.wechat.entities import Delivery

_SCOPE_COLUMN = {
    RegionLevel.DISTRICT: Asset.district_id,
    RegionLevel.TOWN: Asset.town_id,
    RegionLevel.VILLAGE: Asset.village_id,
}


def asset_scope(actor: User) -> ColumnElement[bool]:
    """The condition an asset must meet for `actor` to see it."""
    if not actor.active:
        return false()
    condition = _SCOPE_COLUMN[actor.role.region_level] == actor.region_id
    if actor.role is Role.DEPARTMENT:
        subtype_ids = [subtype.id for subtype in actor.department.subtypes] if actor.department else []
        condition = condition & Asset.subtype_id.in_(subtype_ids)
    return condition


def visible_assets(actor: User) -> Select[tuple[Asset]]:
    return select(Asset).where(asset_scope(actor))


def get_visible_asset(session: Session, actor: User, asset_id: int) -> Asset:
    asset = session.scalar(visible_assets(actor).where(Asset.id == asset_id))
    if asset is None:
        raise NotFound()
    return asset


def region_in_scope(actor: User, region: Region) -> bool:
    """Whether `region` lies under the actor's own region."""
    own_level = actor.role.region_level
    return region.ancestor(own_level) is not None and region.ancestor(own_level).id == actor.region_id


def require_register_editor(actor: User) -> None:
    if not actor.role.edits_register:
        raise Forbidden("您的角色只能查看台账，不能修改。")


def require_can_place(actor: User, village: Region, subtype_id: int) -> None:
    """The actor may put an asset of this sub-type into this village."""
    require_register_editor(actor)
    if village.level is not RegionLevel.VILLAGE or not region_in_scope(actor, village):
        raise Forbidden("只能在您所辖范围内的村登记资产。")
    if actor.role is Role.DEPARTMENT and subtype_id not in {s.id for s in actor.department.subtypes}:
        raise Forbidden("只能登记本部门主管类型的资产。")


def visible_villages(session: Session, actor: User) -> list[Region]:
    """The villages the actor works over, ordered by town then village."""
    level = actor.role.region_level
    query = select(Region).where(Region.level == RegionLevel.VILLAGE)
    if level is RegionLevel.VILLAGE:
        query = query.where(Region.id == actor.region_id)
    elif level is RegionLevel.TOWN:
        query = query.where(Region.parent_id == actor.region_id)
    else:
        query = query.where(Region.district_id == actor.region_id)
    return list(session.scalars(query.order_by(Region.parent_id, Region.id)))


VILLAGE_STAFF = (Role.VILLAGE_CLERK, Role.VILLAGE_SUPERVISOR, Role.CUSTODIAN)
REVIEWERS = (Role.DISTRICT_ADMIN, Role.DEPARTMENT, Role.TOWN_OFFICIAL)


def require_can_record_maintenance(actor: User, asset: Asset) -> None:
    """Only staff of the asset's own village add maintenance records to it."""
    if not (actor.active and actor.role in VILLAGE_STAFF and actor.region_id == asset.village_id):
        raise Forbidden("只有本村的管护员和村干部可以提交这项资产的管护记录。")


REPAIR_ARRANGERS = (Role.DISTRICT_ADMIN, Role.DEPARTMENT, Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK)


def may_arrange_repair(actor: User, asset: Asset) -> bool:
    """安排维修: the village's clerks, and town, department and district staff over the asset."""
    other_village = actor.role.region_level is RegionLevel.VILLAGE and actor.region_id != asset.village_id
    return actor.active and actor.role in REPAIR_ARRANGERS and not other_village


def require_can_arrange_repair(actor: User, asset: Asset) -> None:
    if not may_arrange_repair(actor, asset):
        raise Forbidden("只有本村村干部和乡镇、区级工作人员可以安排维修。")


def require_can_review_maintenance(actor: User) -> None:
    """District, department and town staff review records of the assets they can see."""
    if actor.role not in REVIEWERS:
        raise Forbidden("只有乡镇和区级工作人员可以审核管护记录。")


COMPLAINT_HANDLERS = (Role.DISTRICT_ADMIN, Role.DEPARTMENT, Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK)


def handed_to(actor: User) -> ColumnElement[bool]:
    """A complaint handed (转办) to the actor by name, or to their department or their own region."""
    condition = or_(Complaint.assigned_user_id == actor.id, Complaint.assigned_region_id == actor.region_id)
    if actor.department_id is not None:
        condition = or_(condition, Complaint.assigned_department_id == actor.department_id)
    return condition


def complaint_scope(actor: User) -> ColumnElement[bool]:
    """The condition a complaint (outer-joined with its asset) meets for `actor` to see it: its asset
    is in their scope, it objects to a public notice they may see, or it was handed to them."""
    if not actor.active:
        return false()
    about_notice = Complaint.notice_id.in_(select(PublicNotice.id).where(notice_scope(actor)))
    return or_(asset_scope(actor), about_notice, handed_to(actor))


def require_complaint_handler(actor: User, town_or_above: bool = False, why: str | None = None) -> None:
    """The actor may move a complaint along; some (an objection, one reopened after 不满意 or
    appealed) only the town or above may, for the reason `why`."""
    if actor.role not in COMPLAINT_HANDLERS:
        raise Forbidden("您的角色只能查看反映，不能办理。")
    if town_or_above and not _handles_town_complaints(actor):
        raise Forbidden(why or "群众对答复不满意，这条反映已转乡镇重新办理。")


def complaints_handled_by(actor: User) -> ColumnElement[bool]:
    """The condition a complaint meets for the actor's level to move it along (the rule of
    `require_complaint_handler`): the village leaves those only the town handles to the town."""
    return true() if _handles_town_complaints(actor) else ~Complaint.town_handles


def _handles_town_complaints(actor: User) -> bool:
    return actor.role.region_level is not RegionLevel.VILLAGE


def notice_scope(actor: User) -> ColumnElement[bool]:
    """The condition a public notice must meet for `actor` to see it: its village lies under their
    region; for a department, it is about an asset of its trades."""
    if not actor.active:
        return false()
    if actor.role is Role.DEPARTMENT:
        return PublicNotice.asset_id.in_(select(Asset.id).where(asset_scope(actor)))
    return PublicNotice.village_id.in_(regions_under(actor))


NOTICE_MANAGERS = (Role.DISTRICT_ADMIN, Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK)


def require_notice_manager(actor: User, village: Region) -> None:
    """The actor may publish and withdraw notices of `village` (a village outside their region is
    not found)."""
    if not actor.active or not region_in_scope(actor, village):
        raise NotFound()
    if actor.role not in NOTICE_MANAGERS:
        raise Forbidden("只有村干部、乡镇工作专班和区乡村振兴局可以发布或撤回公示。")


def regions_under(actor: User) -> Select[tuple[int]]:
    """Ids of the actor's own region and every region below it."""
    return select(Region.id).where(
        or_(Region.id == actor.region_id, Region.parent_id == actor.region_id, Region.district_id == actor.region_id)
    )


def staff_scope(actor: User) -> ColumnElement[bool]:
    """The condition a staff member must meet for `actor` to see them (and what they were sent)."""
    if not actor.active:
        return false()
    return User.region_id.in_(regions_under(actor))


def delivery_scope(actor: User) -> ColumnElement[bool]:
    """The condition a push must meet for `actor` to see it in the pushes log: it is about a
    region under theirs (a staff member's own region, or the village of a villager's asset)."""
    if not actor.active:
        return false()
    return Delivery.region_id.in_(regions_under(actor))


# Who rates whom (docs/domain.md's calendar): a town reviews and scores its villages, the district its
# towns (and may correct a village's score).
RATED_BY = {Role.TOWN_OFFICIAL: (RegionLevel.VILLAGE,), Role.DISTRICT_ADMIN: (RegionLevel.TOWN, RegionLevel.VILLAGE)}


def require_can_rate(actor: User, region: Region) -> None:
    """The actor may record `region`'s yearly score; a region outside their own is not found."""
    if not actor.active or not region_in_scope(actor, region):
        raise NotFound()
    if region.level not in RATED_BY.get(actor.role, ()):
        raise Forbidden("考核等次由乡镇评定本镇各村、区县评定各乡镇；您的角色不能评定这一级。")


def ratable_regions(session: Session, actor: User) -> list[Region]:
    """The regions the actor scores, towns first, each town's villages after it."""
    levels = RATED_BY.get(actor.role)
    if not actor.active or not levels:
        raise Forbidden("只有乡镇工作专班和区乡村振兴局可以评定考核等次。")
    query = select(Region).where(Region.id.in_(regions_under(actor)), Region.level.in_(levels))
    return sorted(session.scalars(query), key=_tree_order)


def require_town_reviewer(actor: User, village: Region) -> None:
    """The actor is an official of `village`'s town (复核); a village outside their region is not found."""
    if not actor.active or not region_in_scope(actor, village):
        raise NotFound()
    if actor.role is not Role.TOWN_OFFICIAL:
        raise Forbidden("只有乡镇工作专班可以复核本镇各村的年终自评。")


def require_district_rater(actor: User, region: Region) -> None:
    """The actor is the district office over `region` (评定); another district's region is not found."""
    if not actor.active or not region_in_scope(actor, region):
        raise NotFound()
    if actor.role is not Role.DISTRICT_ADMIN:
        raise Forbidden("只有区乡村振兴局可以评定各乡镇的等次。")


def require_trade_scorer(actor: User, village: Region, department_id: int | None) -> None:
    """The actor is the department whose trade an item is, over `village`; any other item, or a
    village of another district, is not found."""
    if not actor.active or actor.role is not Role.DEPARTMENT or not region_in_scope(actor, village):
        raise NotFound()
    if department_id is None or department_id != actor.department_id:
        raise NotFound()


def require_report_reader(actor: User, region: Region) -> None:
    """The actor may download the evaluation's report of `region`: the district office and its
    departments any of the district's, a town official its town's and its villages', village staff
    (not custodians) their own village's. Anything else is not found."""
    if not actor.active or actor.role is Role.CUSTODIAN or not region_in_scope(actor, region):
        raise NotFound()


# Who manages whose account (README, "Roles"). The district office manages every account of its
# district except the district office's own, which are made and ended on the server
# (`guanhu user …`), so that no web account can mint more of the top role; a town manages the
# village staff of its villages; nobody else manages anybody (a department oversees assets, not
# people). So nobody gives a role above, or equal to, their own.
MANAGED_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.DISTRICT_ADMIN: (Role.DEPARTMENT, Role.TOWN_OFFICIAL, *VILLAGE_STAFF),
    Role.TOWN_OFFICIAL: VILLAGE_STAFF,
}


def managed_roles(actor: User) -> tuple[Role, ...]:
    """The roles the actor may give (and whose holders they manage); empty for most."""
    return MANAGED_ROLES.get(actor.role, ()) if actor.active else ()


def require_staff_manager(actor: User) -> None:
    if not managed_roles(actor):
        raise Forbidden("只有区乡村振兴局和乡镇工作专班可以管理人员账号。")


def managed_staff(actor: User) -> ColumnElement[bool]:
    """The condition an account must meet for `actor` to manage it."""
    roles = managed_roles(actor)
    if not roles:
        return false()
    return staff_scope(actor) & User.role.in_(roles)


def get_managed_user(session: Session, actor: User, user_id: int) -> User:
    """The account `user_id` if the actor manages it; anyone else is not found."""
    user = session.scalar(select(User).where(User.id == user_id, managed_staff(actor)))
    if user is None:
        raise NotFound()
    return user


def require_can_give(actor: User, role: Role, region: Region) -> None:
    """The actor may make (or turn) an account into `role` at `region`; a region outside their
    own is not found."""
    require_staff_manager(actor)
    if not region_in_scope(actor, region):
        raise NotFound()
    if role not in managed_roles(actor):
        raise Forbidden(f"您不能设置{role.label}账号。")


def assignable_regions(session: Session, actor: User) -> list[Region]:
    """The regions the actor may place accounts in, each town followed by its villages."""
    levels = {role.region_level for role in managed_roles(actor)}
    if not levels:
        return []
    query = select(Region).where(Region.id.in_(regions_under(actor)), Region.level.in_(levels))
    return sorted(session.scalars(query), key=_tree_order)


def _tree_order(region: Region) -> tuple[int, int, int]:
    """Sorts a district first, then each town followed by its villages."""
    if region.level is RegionLevel.DISTRICT:
        return (0, 0, region.id)
    town_id = region.id if region.level is RegionLevel.TOWN else region.parent_id
    return (1, town_id, 0 if region.level is RegionLevel.TOWN else region.id)


def evaluation_scope(actor: User) -> ColumnElement[bool]:
    """The condition a village's evaluation meets for `actor` to see it: its village lies under
    their region (a village sees only its own; custodians none)."""
    if not actor.active or actor.role is Role.CUSTODIAN:
        return false()
    return VillageEvaluation.village_id.in_(regions_under(actor))


def require_village_clerk(actor: User, village: Region) -> None:
    """The actor is a clerk of `village` (fills its evaluation form); another village is not found."""
    if not actor.active or not region_in_scope(actor, village):
        raise NotFound()
    if actor.role is not Role.VILLAGE_CLERK:
        raise Forbidden("只有本村村干部可以填写和提交自评表。")


def require_signer(actor: User, village: Region) -> None:
    """The actor holds one of the two posts of `village` that sign its evaluation."""
    if not actor.active or not region_in_scope(actor, village):
        raise NotFound()
    if actor.role is not Role.VILLAGE_SUPERVISOR or actor.village_post is None:
        raise Forbidden("只有本村村务监督委员会主任和合作社监事会主任可以签字或退回。")


def require_target_issuer(actor: User) -> None:
    if not actor.active or actor.role is not Role.DISTRICT_ADMIN:
        raise Forbidden("只有区乡村振兴局可以下达绩效目标和修改考评表。")
