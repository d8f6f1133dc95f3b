"""Users, roles, community scope and API tokens (only the SHA-256 of a token is stored)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from community import audit
from community.errors import Conflict, InvalidInput, NotFound, Unauthorized
from community.models import ApiToken, Community, User, UserCommunity, utcnow
from community.principal import ROLES, Principal

TOKEN_PREFIX = "lnl_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_community(session: Session, actor: Principal, community_id: str, name: str) -> Community:
    if (
        not community_id
        or len(community_id) > 64
        or not community_id.replace("-", "").replace("_", "").isalnum()
    ):
        raise InvalidInput(f"community id {community_id!r}: use 1-64 letters, digits, '-' or '_'")
    existing = session.get(Community, community_id)
    if existing is not None:
        if existing.name != name:
            raise Conflict(f"community {community_id!r} already exists with name {existing.name!r}")
        return existing
    community = Community(id=community_id, name=name)
    session.add(community)
    audit.record(session, actor, "community.add", "community", community_id, community_id=community_id)
    return community


def list_communities(session: Session) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name} for c in session.scalars(select(Community).order_by(Community.id))]


def get_community(session: Session, community_id: str) -> Community:
    community = session.get(Community, community_id)
    if community is None:
        raise NotFound(f"community {community_id!r} not found; create it with `linli communities add`")
    return community


def add_user(
    session: Session, actor: Principal, name: str, role: str, communities: list[str]
) -> tuple[User, str]:
    """Create a user and return it with a fresh token; the token is not stored and cannot be shown again."""
    if role not in ROLES:
        raise InvalidInput(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise InvalidInput("user name: must not be empty")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists")
    if role != "admin" and not communities:
        raise InvalidInput(f"a {role} needs at least one --community")
    for community_id in communities:
        get_community(session, community_id)
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    for community_id in communities:
        session.add(UserCommunity(user_id=user.id, community_id=community_id))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:12]))
    audit.record(
        session,
        actor,
        "user.add",
        "user",
        user.id,
        detail={"name": name, "role": role, "communities": communities},
    )
    return user, token


def principal_for_token(session: Session, token: str) -> Principal:
    return principal_for_token_hash(session, hash_token(token))


def principal_for_token_hash(session: Session, token_hash: str) -> Principal:
    """The caller behind a token's hash (what a web session keeps instead of the token itself).

    One query (token, user and the user's communities joined): it runs on every request."""
    rows = session.connection().execute(_PRINCIPAL, {"token_hash": token_hash}).all()
    if not rows or rows[0].revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    first = rows[0]
    scope = frozenset(r.community_id for r in rows if r.community_id is not None)
    communities = None if (first.role == "admin" and not scope) else scope
    return Principal(user_id=first.id, name=first.name, role=first.role, communities=communities)


_PRINCIPAL = (
    select(User.id, User.name, User.role, ApiToken.revoked_at, UserCommunity.community_id)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(UserCommunity, UserCommunity.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def principal_for_user(session: Session, user: User) -> Principal:
    scope = frozenset(
        session.scalars(select(UserCommunity.community_id).where(UserCommunity.user_id == user.id))
    )
    communities = None if (user.role == "admin" and not scope) else scope
    return Principal(user_id=user.id, name=user.name, role=user.role, communities=communities)


def revoke_tokens(session: Session, actor: Principal, name: str) -> int:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"user {name!r} not found")
    count = 0
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = utcnow()
        count += 1
    audit.record(session, actor, "user.revoke_tokens", "user", user.id, detail={"revoked": count})
    return count


def list_users(session: Session) -> list[dict]:
    out = []
    for user in session.scalars(select(User).order_by(User.id)):
        scope = sorted(
            session.scalars(select(UserCommunity.community_id).where(UserCommunity.user_id == user.id))
        )
        out.append({"id": user.id, "name": user.name, "role": user.role, "communities": scope})
    return out
