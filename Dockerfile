# Postroom's image: built in one stage, run from a slim one as a non-root user.
#
# `postroom run` on the embedded SQLite default brings its schema up to date at start, so
# `docker run -v postroom-var:/app/var postroom` works on an empty volume. On PostgreSQL,
# migrations are a deploy step: docker-compose.yml runs `postroom db upgrade` once before
# the bot starts.

# --- build: the package and its dependencies into a virtualenv ------------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
RUN python -m venv /opt/postroom
COPY pyproject.toml ./
COPY core ./core
COPY adapters ./adapters
COPY bot ./bot
RUN /opt/postroom/bin/pip install . \
    && rm -rf /opt/postroom/lib/python3.11/site-packages/pip \
              /opt/postroom/lib/python3.11/site-packages/setuptools

# --- runtime: the virtualenv only; no compiler, no pip, no sources ---------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/postroom/bin:$PATH \
    POSTROOM_VAR_DIR=/app/var \
    POSTROOM_HTTP_HOST=0.0.0.0 \
    POSTROOM_HTTP_PORT=8080

# A fixed numeric uid/gid, so volume ownership is the same on every host.
RUN groupadd --system --gid 10001 postroom \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home postroom \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var

COPY --from=build /opt/postroom /opt/postroom

WORKDIR /app
USER 10001:10001
# The SQLite database, the sandbox key and served media (var/media) live here.
VOLUME ["/app/var"]
EXPOSE 8080

# Liveness: /healthz answers 200 while the process serves and its database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# Headless: a container has no terminal to chat in.
CMD ["postroom", "run", "--no-console"]
