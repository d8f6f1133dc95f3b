"""FastAPI dependencies as Annotated aliases: the database session, the caller, the knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from community.db import session_scope
from community.errors import Unauthorized
from community.principal import Principal
from community.users import principal_for_token
from knowledge.index import KnowledgeBase


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> (create one with `linli users add`)")
    return principal_for_token(session, token.strip())


CurrentUser = Annotated[Principal, Depends(get_principal)]


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]
