"""Many Slack workspaces: the OAuth install at /slack/install over our encrypted stores."""

from __future__ import annotations

import logging

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring
from adapters.db.engine import make_session_factory
from adapters.db.slack_installations import SqlInstallationStore
from adapters.db.slack_states import STATE_TTL, SqlOAuthStateStore
from adapters.slack.workspaces import (
    BOT_SCOPES,
    INSTALL_PATH,
    REDIRECT_PATH,
    ROTATE_BEFORE_MINUTES,
)
from bot.settings import Settings
from core.ports import Clock


def many_workspaces(settings: Settings) -> bool:
    """Client id and secret instead of one bot token (checked by `check_slack`)."""
    return settings.slack_client_id is not None


def check_slack(settings: Settings) -> None:
    """One workspace (bot token) or many (client id and secret), both with the signing
    secret; the web app unless Socket Mode serves one workspace. ValueError says what is
    missing."""
    one = settings.slack_bot_token is not None
    many = settings.slack_client_id is not None or settings.slack_client_secret is not None
    if settings.slack_signing_secret is None and many and not one:
        raise ValueError("many Slack workspaces need POSTROOM_SLACK_SIGNING_SECRET too")
    if one and many:
        raise ValueError(
            "Slack: set POSTROOM_SLACK_BOT_TOKEN (one workspace) or POSTROOM_SLACK_CLIENT_ID "
            "and POSTROOM_SLACK_CLIENT_SECRET (many), not both"
        )
    if (not one and not many) or settings.slack_signing_secret is None:
        raise ValueError(
            "Slack needs both POSTROOM_SLACK_BOT_TOKEN and POSTROOM_SLACK_SIGNING_SECRET"
        )
    if many and (settings.slack_client_id is None or settings.slack_client_secret is None):
        raise ValueError(
            "many Slack workspaces need both POSTROOM_SLACK_CLIENT_ID and "
            "POSTROOM_SLACK_CLIENT_SECRET"
        )
    if not settings.http_port and (many or settings.slack_app_token is None):
        what = "the install pages" if many else "Slack's HTTP mode"
        raise ValueError(f"{what} need the web app: set POSTROOM_HTTP_PORT")


def installation_store(
    settings: Settings, engine: AsyncEngine | None, keyring: Keyring | None
) -> SqlInstallationStore:
    if engine is None or keyring is None or settings.slack_client_id is None:
        raise ValueError("many Slack workspaces keep their installations in the database")
    return SqlInstallationStore(
        make_session_factory(engine), keyring, client_id=settings.slack_client_id
    )


def rotator(settings: Settings, client: AsyncWebClient) -> AsyncTokenRotator:
    """Token rotation (https://api.slack.com/authentication/rotation): oauth.v2.access with
    the client credentials and a refresh token, through `client` (POSTROOM_SLACK_API_URL)."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return AsyncTokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=client,
    )


def oauth_settings(
    settings: Settings,
    store: AsyncInstallationStore,
    engine: AsyncEngine,
    clock: Clock,
    client: AsyncWebClient,
) -> AsyncOAuthSettings:
    """bolt's OAuth flow (https://api.slack.com/authentication/oauth-v2): the install page
    sets a state cookie and sends the browser to Slack's authorize URL; Slack sends it back
    to the redirect path with a code, exchanged once with oauth.v2.access for the tokens."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    redirect = None
    if settings.public_url:
        # Slack insists on the exact URL when an app lists more than one redirect URL.
        redirect = settings.public_url.rstrip("/") + REDIRECT_PATH
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=store,
        state_store=SqlOAuthStateStore(make_session_factory(engine), clock),
        state_expiration_seconds=int(STATE_TTL.total_seconds()),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=redirect,
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
    )
    # The store (adapters.slack.workspaces) rotates tokens before it hands them out; bolt's
    # authorize rotates too if one slipped through, but the one AsyncOAuthSettings builds
    # would call slack.com with a client of its own, not POSTROOM_SLACK_API_URL's.
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.authorization"),
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
        installation_store=store,
        client=client,
    )
    return oauth
