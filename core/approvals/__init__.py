"""Approvals: a team's posts wait for an approver's yes before they go out."""
