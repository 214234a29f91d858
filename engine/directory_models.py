"""The tables behind the council's directory pages: police forces with their contacts, and the resource links
shown to councillors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.models import Base

NAME_LENGTH = 200
COLLAR_NUMBER_LENGTH = 40
CONTACT_LENGTH = 300
URL_LENGTH = 2000
DESCRIPTION_LENGTH = 1000


class PoliceForce(Base):
    """A police force the council works with: its named police officer and its Force Elected Official Adviser."""

    __tablename__ = "police_forces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    officer_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    officer_collar_number: Mapped[str] = mapped_column(String(COLLAR_NUMBER_LENGTH), default="")
    officer_contact: Mapped[str] = mapped_column(String(CONTACT_LENGTH), default="")
    adviser_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    adviser_contact: Mapped[str] = mapped_column(String(CONTACT_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class ResourceLink(Base):
    """A link the council gives its councillors: the Code of Conduct, social media rules, guides, protocols."""

    __tablename__ = "resource_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
