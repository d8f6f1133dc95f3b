"""Who is acting: a user with a role and the communities they may see."""

from __future__ import annotations

from dataclasses import dataclass

from community.errors import Forbidden, NotFound

ROLES = ("host", "operator", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    name: str
    role: str
    communities: frozenset[str] | None  # None: every community (an admin without a scope, or the local CLI)

    def can_see(self, community_id: str) -> bool:
        return self.communities is None or community_id in self.communities

    def require_community(self, community_id: str) -> None:
        """Another community's objects are reported as missing, never as forbidden (no existence leak)."""
        if not self.can_see(community_id):
            raise NotFound(f"community {community_id!r} not found")

    def require_reviewer(self) -> None:
        if self.role not in ("operator", "admin"):
            raise Forbidden(f"role {self.role!r} may not review drafts; an operator or admin must")


# The local command line acts with the machine owner's authority; it is recorded as such in the audit log.
CLI = Principal(user_id=None, name="cli", role="admin", communities=None)
