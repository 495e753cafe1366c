"""`buko admin create EMAIL`: make an account an administrator (creating it when it does not exist)."""
from __future__ import annotations

import getpass
import os
import sys

from buko.application.accounts.registration import EmailTaken
from buko.application.commands import MakeAdmin, RegisterUser
from buko.config import Settings
from buko.domain.accounts.user import check_password
from buko.entrypoints.worker.runtime import running


def read_password(email: str) -> str:
    """From BUKO_ADMIN_PASSWORD, or asked twice on the terminal; checked before any work."""
    password = os.environ.get("BUKO_ADMIN_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise SystemExit("buko admin create: set BUKO_ADMIN_PASSWORD, or run it in a terminal to be asked")
        password = getpass.getpass(f"Password for {email}: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("buko admin create: the two passwords differ; nothing was changed")
    check_password(password, email)
    return password


async def create_admin(settings: Settings, email: str, name: str, ask_password) -> str:
    """`ask_password(email)` is called only when the account must be created."""
    from buko.bootstrap import build_container

    container = build_container(settings)
    async with running(container):
        uc = container.use_cases
        existing = await uc.queries().user_by_email(email)
        if existing is None:
            try:
                await uc.register_user()(RegisterUser(email, name, "admin", ask_password(email)))
            except EmailTaken:
                pass
        user = await uc.account_admin().make_admin(MakeAdmin(email))
    return f"{user.email} is an administrator" + ("" if existing else " (account created)")
