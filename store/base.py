"""The declarative base of the ORM table classes: their tables are declared on store.tables'
MetaData, where some are declared in Core too (store.tables)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata
