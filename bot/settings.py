"""Settings from the environment (POSTROOM_*), with the embedded defaults for a zero-setup run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.model import Tier


class Settings(BaseSettings):
    """Every variable is documented in README.md (Configuration)."""

    model_config = SettingsConfigDict(env_prefix="POSTROOM_", env_file=None, extra="ignore")

    var_dir: Path = Path("var")
    database_url: str | None = None  # default: SQLite file var/postroom.db
    secret_keys: SecretStr | None = None  # "id:base64key,…": the first encrypts, all decrypt
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)  # 0 turns the web app off
    public_url: str | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    log_file: str | None = None  # "-": stderr; default: stderr, var/postroom.log in console mode
    worker_id: str | None = None

    default_tier: Tier | None = None  # free; pro in the sandbox
    default_timezone: str = "UTC"
    free_max_scheduled: int | None = None
    free_posts_per_month: int | None = None
    pro_max_scheduled: int | None = None
    pro_posts_per_month: int | None = None
    missed_grace: timedelta = timedelta(minutes=15)
    # Prices of Pro (core.tiers.Plan): unset = not sold that way.
    pro_stars_price: int | None = Field(default=None, ge=1, le=10000)  # Stars per 30 days
    stripe_price_id: str | None = None  # Stripe's price_… for Pro
    # Stripe Checkout and the Customer Portal (core/stripe): the secret key (sk_… or a
    # restricted rk_…) and the signing secret of the POST /stripe/webhook endpoint (whsec_…).
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_url: str = "https://api.stripe.com"
    billing_every: timedelta = timedelta(minutes=1)  # lapses and renewal reminders

    ayrshare_base_url: str = "https://api.ayrshare.com/api"
    ayrshare_api_key: SecretStr | None = None
    ayrshare_domain: str | None = None
    ayrshare_private_key_file: Path | None = None
    ayrshare_x_api_key: SecretStr | None = None
    ayrshare_x_api_secret: SecretStr | None = None
    # Verifies the HMAC of Ayrshare's webhook deliveries (POST /ayrshare/webhook); sent as
    # the secret when the webhook is registered for each profile.
    ayrshare_webhook_secret: SecretStr | None = None
    # Of a profile's one budget of 300 requests per 5 minutes, shared with publishing (which
    # goes first), the most analytics may use (core.request_budget).
    ayrshare_analytics_budget: int = Field(default=200, ge=1, le=300)
    analytics_every: timedelta = timedelta(minutes=1)  # how often the sync looks for due items
    digest_every: timedelta = timedelta(seconds=20)  # how often due digests are looked for
    # Retention (core/retention.py), run every housekeeping_every.
    media_keep: timedelta = timedelta(days=7)
    snapshots_hourly_for: timedelta = timedelta(days=14)
    housekeeping_every: timedelta = timedelta(hours=1)
    # The connection lifecycle (core/lifecycle.py): due Pro link checks and owed warnings.
    lifecycle_every: timedelta = timedelta(minutes=1)
    # How often submissions whose time passed undecided are held (core/approvals/expiry.py).
    approvals_every: timedelta = timedelta(seconds=30)
    # The engage pass (core/engage): new comments on published posts, then the pushes.
    engage_every: timedelta = timedelta(minutes=1)

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr | None = None  # default: derived from the token
    # Telegram Stars (core.stars): the pages /terms and /paysupport name.
    terms_url: str | None = None  # the full terms page /terms links to
    pay_support: str | None = None  # who /paysupport names: "@handle", an email address
    # One Slack workspace over HTTP: token and signing secret set = the Slack front end runs
    # (bot.slack); `postroom doctor` checks the token.
    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: SecretStr | None = None  # xoxb-…
    slack_signing_secret: SecretStr | None = None
    # Many workspaces (instead of one bot token): installed through /slack/install, their
    # tokens kept encrypted in our database (bot.slack_oauth).
    slack_client_id: str | None = None  # public: it is in every authorize URL
    slack_client_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None  # xapp-…: Socket Mode instead of /slack/events
    # The Free tier's Instagram Login (https://developers.facebook.com/docs/instagram-platform/
    # instagram-api-with-instagram-login/business-login): the Meta app's Instagram app id
    # (public: it is in every authorize URL) and secret; the redirect URI is
    # <public_url>/oauth/instagram/callback.
    instagram_app_id: str | None = None
    instagram_app_secret: SecretStr | None = None
    instagram_oauth_url: str = "https://api.instagram.com"  # /oauth/authorize, /oauth/access_token
    instagram_api_url: str = "https://graph.instagram.com"
    instagram_access_token: SecretStr | None = None  # checked by `postroom doctor` (GET /me)

    sandbox_fail: str = ""  # e.g. "tiktok" or "tiktok:always,x:transient"

    @property
    def sandbox(self) -> bool:
        """Nothing to publish with (no Ayrshare key, no Meta app): simulated networks, so the
        product can be tried offline. A Meta app alone is a real Free-tier-only server."""
        return self.ayrshare_api_key is None and not self.instagram_app

    @property
    def instagram_app(self) -> bool:
        """A Meta app for the Free tier's Instagram Login is configured."""
        return self.instagram_app_id is not None and self.instagram_app_secret is not None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'postroom.db'}"

    @property
    def resolved_default_tier(self) -> Tier:
        if self.default_tier is not None:
            return self.default_tier
        return Tier.PRO if self.sandbox else Tier.FREE
