"""One way to page a list: the page a visitor asked for, and a page of rows with the total.

A page's rows are found by their ids alone (an index walk), then only those rows are loaded with
their eager joins: joining on every skipped row made deep pages of a large town ~30 times slower.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PAGE_DIGITS = 6


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int  # from 1
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def page_number(text: str | None) -> int:
    """The page a visitor asked for (?page=3): a positive whole number, else the first page."""
    text = (text or "").strip()
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS else 1
    return max(1, number)


def count_of(session: Session, query: Select[Any]) -> int:
    """How many rows `query` finds (its own ordering aside)."""
    entity = query.column_descriptions[0]["entity"]
    counted = query.with_only_columns(entity.id).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(counted)) or 0


def counts_of(session: Session, scoped: Select[Any], filters: Sequence[Sequence[ColumnElement[bool]]]) -> list[int]:
    """How many rows `scoped` finds under each filter's conditions, in one statement (COUNT …
    FILTER per filter), as `count_of(session, scoped.where(*conditions))` would count them one by
    one. The first filter holds every row the others hold (the whole, then its parts): it bounds
    the scan."""
    if not filters:
        return []
    wheres = [and_(true(), *conditions) for conditions in filters]
    counted = scoped.with_only_columns(*(func.count().filter(where) for where in wheres)).order_by(None)
    return list(session.execute(counted.where(wheres[0])).one())


def page_of(
    session: Session, query: Select[tuple[T]], number: int, per_page: int, order: Sequence[ColumnElement[Any]]
) -> Page[T]:
    """Page `number` of the rows `query` finds, in `order` (which must end with a unique column);
    the last page for a number past it."""
    entity = query.column_descriptions[0]["entity"]
    total = count_of(session, query)
    number = min(number, max(1, math.ceil(total / per_page)))
    ids = query.with_only_columns(entity.id).order_by(None).order_by(*order)
    ids = ids.limit(per_page).offset((number - 1) * per_page)
    items = list(session.scalars(select(entity).where(entity.id.in_(ids)).order_by(*order)))
    return Page(items=items, total=total, number=number, per_page=per_page)
