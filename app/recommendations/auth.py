"""Who is looking at a public page, for the view signal only: a public read never fails on a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.accounts.auth import Subject, optional_subject
from app.errors import ProblemError


async def viewer(request: Request) -> Subject | None:
    """The signed-in person, or None: without a token, or with one that is bad or expired (the page
    is public; only the signal is lost)."""
    if "authorization" not in request.headers:
        return None
    try:
        return await optional_subject(request)
    except ProblemError:
        return None


ViewerDep = Annotated[Subject | None, Depends(viewer)]
