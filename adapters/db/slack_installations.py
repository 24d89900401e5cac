"""Slack installations in SQL behind slack_sdk's AsyncInstallationStore, tokens encrypted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.db.cipher import Keyring, SecretError
from adapters.db.slack_secrets import (
    INSTALLATION_SECRETS,
    SlackRow,
    describe,
    secret_aad,
    secrets_of,
)
from adapters.db.slack_tables import SlackBotRow, SlackInstallationRow
from core.log_context import keep_out_of_logs

log = logging.getLogger(__name__)

_BOT_FIELDS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "team_id",
    "team_name",
    "bot_id",
    "bot_user_id",
)
_INSTALLATION_FIELDS = (
    *_BOT_FIELDS,
    "enterprise_url",
    "user_id",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "token_type",
)


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def _scopes(scopes: Any) -> str | None:
    if not scopes:
        return None
    return scopes if isinstance(scopes, str) else ",".join(scopes)


class SqlInstallationStore(AsyncInstallationStore):
    """slack_sdk's installation store interface over our database and Keyring.

    Same lookups as slack_sdk's own AsyncSQLAlchemyInstallationStore (which keeps tokens in
    plain text): rows per client id, enterprise id, team id and installing user; the newest
    `installed_at` wins; bot rows are kept apart from the users' installations, so a user's
    newer install never hides the workspace's bot token; saving an installation again with
    the same `installed_at` (what token rotation does) updates its row. Every token, refresh
    token and the incoming webhook URL is a Keyring ciphertext whose AAD names its table, row
    id and column. `custom_values` are not kept (slack_sdk's SQL store drops them too).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        keyring: Keyring,
        *,
        client_id: str,
        logger: logging.Logger = log,
    ) -> None:
        self._sessions = session_factory
        self._keyring = keyring
        self.client_id = client_id
        self._logger = logger

    def __repr__(self) -> str:
        return f"SqlInstallationStore(client_id={self.client_id!r})"

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    # --- saving ----------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        # The user's row and the bot's row in one transaction: never one without the other.
        async with self._sessions() as session, session.begin():
            row = await self._same_installation(session, installation)
            if row is None:
                row = SlackInstallationRow(client_id=self.client_id)
                session.add(row)
            _fill(row, installation)
            await self._seal(session, row, installation)
            await self._save_bot(session, installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        async with self._sessions() as session, session.begin():
            await self._save_bot(session, bot)

    async def _save_bot(self, session: AsyncSession, bot: Bot) -> None:
        installed_at = _installed_at(bot.installed_at)
        row = (
            await session.scalars(
                select(SlackBotRow)
                .where(self._place(SlackBotRow, bot.enterprise_id, bot.team_id))
                .where(SlackBotRow.installed_at == installed_at)
                .limit(1)
            )
        ).first()
        if row is None:
            row = SlackBotRow(client_id=self.client_id)
            session.add(row)
        _fill(row, bot)
        await self._seal(session, row, bot)

    async def _same_installation(
        self, session: AsyncSession, installation: Installation
    ) -> SlackInstallationRow | None:
        # slack_sdk matches on the workspace and installed_at only; the user is added so two
        # users installing in the same microsecond keep one row each.
        stmt = (
            select(SlackInstallationRow)
            .where(
                self._place(SlackInstallationRow, installation.enterprise_id, installation.team_id)
            )
            .where(
                SlackInstallationRow.user_id == installation.user_id,
                SlackInstallationRow.installed_at == _installed_at(installation.installed_at),
            )
            .limit(1)
        )
        return (await session.scalars(stmt)).first()

    async def _seal(
        self, session: AsyncSession, row: SlackRow, source: Installation | Bot
    ) -> None:
        if row.id is None:
            await session.flush()  # the AAD names the row, so it needs its id first
        for field in secrets_of(row):
            value = getattr(source, field)
            sealed = (
                None if value is None else self._keyring.encrypt(value, aad=secret_aad(row, field))
            )
            setattr(row, f"{field}_ciphertext", sealed)

    # --- finding ---------------------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        if is_enterprise_install or team_id is None:
            team_id = None  # an org-wide install is found by its enterprise id alone
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(SlackBotRow)
                    .where(
                        self._place(SlackBotRow, enterprise_id, team_id),
                        SlackBotRow.bot_token_ciphertext.is_not(None),
                    )
                    .order_by(SlackBotRow.installed_at.desc(), SlackBotRow.id.desc())
                    .limit(1)
                )
            ).first()
            return None if row is None else self._bot(row)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if is_enterprise_install or team_id is None:
            team_id = None
        stmt = select(SlackInstallationRow).where(
            self._place(SlackInstallationRow, enterprise_id, team_id)
        )
        if user_id is not None:
            stmt = stmt.where(SlackInstallationRow.user_id == user_id)
        stmt = stmt.order_by(
            SlackInstallationRow.installed_at.desc(), SlackInstallationRow.id.desc()
        ).limit(1)
        async with self._sessions() as session:
            row = (await session.scalars(stmt)).first()
            installation = None if row is None else self._installation(row)
        if installation is None:
            return None
        # As slack_sdk does for a user's installation: it carries the workspace's latest bot
        # token (https://github.com/slackapi/bolt-python/issues/664). Here for every one, as
        # a bot token rotated alone (async_save_bot) is newer than the installation's copy.
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and bot.bot_token != installation.bot_token:
            installation.bot_id = bot.bot_id
            installation.bot_user_id = bot.bot_user_id
            installation.bot_token = bot.bot_token
            installation.bot_scopes = bot.bot_scopes
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    async def async_bots(self) -> list[Bot]:
        """Every installed workspace's (or org's) latest bot, for `postroom doctor`."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(SlackBotRow)
                .where(
                    SlackBotRow.client_id == self.client_id,
                    SlackBotRow.bot_token_ciphertext.is_not(None),
                )
                .order_by(SlackBotRow.installed_at.desc(), SlackBotRow.id.desc())
            )
            latest: dict[tuple[str | None, str | None], SlackBotRow] = {}
            for row in rows:
                latest.setdefault((row.enterprise_id, row.team_id), row)
            return [self._bot(row) for row in latest.values()]

    # --- deleting (app_uninstalled, tokens_revoked) -------------------------------------------

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self._sessions() as session, session.begin():
            await self._delete_bot(session, enterprise_id, team_id)

    async def _delete_bot(
        self, session: AsyncSession, enterprise_id: str | None, team_id: str | None
    ) -> None:
        await session.execute(
            delete(SlackBotRow).where(self._place(SlackBotRow, enterprise_id, team_id))
        )
        # Unlike slack_sdk, the users' rows lose their copy of the bot token too: a revoked
        # token is kept nowhere, and no lookup can hand it out again.
        await session.execute(
            update(SlackInstallationRow)
            .where(self._place(SlackInstallationRow, enterprise_id, team_id))
            .values(
                bot_token_ciphertext=None,
                bot_refresh_token_ciphertext=None,
                bot_token_expires_at=None,
            )
        )

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        stmt = delete(SlackInstallationRow).where(
            self._place(SlackInstallationRow, enterprise_id, team_id)
        )
        if user_id is not None:
            stmt = stmt.where(SlackInstallationRow.user_id == user_id)
        async with self._sessions() as session, session.begin():
            await session.execute(stmt)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        # One transaction, unlike the base class's two calls: an uninstall leaves nothing behind.
        async with self._sessions() as session, session.begin():
            await self._delete_bot(session, enterprise_id, team_id)
            await session.execute(
                delete(SlackInstallationRow).where(
                    self._place(SlackInstallationRow, enterprise_id, team_id)
                )
            )

    # --- rows to slack_sdk models ------------------------------------------------------------

    def _place(
        self, table: type[SlackRow], enterprise_id: str | None, team_id: str | None
    ) -> ColumnElement[bool]:
        # `== None` compiles to IS NULL: an org-wide install has no team id.
        return and_(
            table.client_id == self.client_id,
            table.enterprise_id == enterprise_id,
            table.team_id == team_id,
        )

    def _open(self, row: SlackRow, field: str) -> str | None:
        sealed: str | None = getattr(row, f"{field}_ciphertext")
        if sealed is None:
            return None
        try:
            token = self._keyring.decrypt(sealed, aad=secret_aad(row, field))
        except SecretError as e:
            raise SecretError(f"Slack {describe(row, field)}: {e}") from e
        # An installation's token, whatever its shape, out of every log record; a rotating
        # token's dotted prefix ("xoxe.xoxb-…") splits it in two words, so each is kept too.
        for secret in (token, *token.split(".")):
            keep_out_of_logs(secret)
        return token

    def _bot(self, row: SlackBotRow) -> Bot:
        token = self._open(row, "bot_token")
        assert token is not None  # found only among rows with a bot token
        return Bot(
            **{field: getattr(row, field) for field in _BOT_FIELDS},
            bot_scopes=row.bot_scopes or "",
            bot_token=token,
            bot_refresh_token=self._open(row, "bot_refresh_token"),
            bot_token_expires_at=row.bot_token_expires_at,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )

    def _installation(self, row: SlackInstallationRow) -> Installation:
        fields: dict[str, Any] = {field: getattr(row, field) for field in _INSTALLATION_FIELDS}
        fields.update({field: self._open(row, field) for field in INSTALLATION_SECRETS})
        return Installation(
            **fields,
            bot_scopes=row.bot_scopes or "",
            user_scopes=row.user_scopes or "",
            bot_token_expires_at=row.bot_token_expires_at,
            user_token_expires_at=row.user_token_expires_at,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )


def _fill(row: SlackRow, source: Installation | Bot) -> None:
    """Copy the plain fields; the secrets are sealed after, once the row has its id."""
    fields = _INSTALLATION_FIELDS if isinstance(row, SlackInstallationRow) else _BOT_FIELDS
    for field in fields:
        setattr(row, field, getattr(source, field))
    row.bot_scopes = _scopes(source.bot_scopes)
    row.bot_token_expires_at = _moment(source.bot_token_expires_at)
    row.is_enterprise_install = bool(source.is_enterprise_install)
    row.installed_at = _installed_at(source.installed_at)
    if isinstance(row, SlackInstallationRow) and isinstance(source, Installation):
        row.user_scopes = _scopes(source.user_scopes)
        row.user_token_expires_at = _moment(source.user_token_expires_at)


def _installed_at(seconds: float) -> datetime:
    moment = _moment(seconds)
    assert moment is not None
    return moment
