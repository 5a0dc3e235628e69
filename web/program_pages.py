"""The home page (/) and the program's help page (/help)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from core.services import program_info
from web.page_support import install_filters, page, settings, unit_of_work

bp = Blueprint("program_pages", __name__)
install_filters(bp)


@bp.get("/")
def home() -> ResponseReturnValue:
    """What this service is, and the open campaigns' public pages."""
    with unit_of_work() as session:
        cards = program_info.open_campaigns(session)
    return page("fan/home.html", cards=cards, program=program_info.program(settings()))


@bp.get("/help")
def help_page() -> ResponseReturnValue:
    """The program explained to a fan: alerts, frequency, STOP/START/HELP, who, privacy."""
    return page("fan/help.html", program=program_info.program(settings()))
