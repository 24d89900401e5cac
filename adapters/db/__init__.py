"""Database storage: SQLAlchemy repositories, Alembic migrations and secrets at rest."""
