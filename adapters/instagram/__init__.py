"""Instagram Graph API publishing back end."""
