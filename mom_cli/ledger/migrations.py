"""One migration mechanism for both ledger backends.

A ledger's schema is at version N when the first N steps have run; each step runs in one
transaction together with the version bump, so a crash leaves the old version or the new
one. SQLite keeps N in `PRAGMA user_version` (store.Ledger._migrate, store.MIGRATIONS);
PostgreSQL keeps it in `mom_schema(version)` and runs the same steps, in their PostgreSQL
spelling below, under an advisory lock so instances starting together migrate once.
Never edit a step that shipped; append one here and in store.MIGRATIONS together.
"""

from __future__ import annotations

from typing import Any

from mom_cli.ledger.store import MIGRATIONS as SQLITE_MIGRATIONS

POSTGRES_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE calls (
        id BIGSERIAL PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        run_id TEXT NOT NULL DEFAULT '',
        task_id TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        model_id TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        latency_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL
    );
    CREATE INDEX calls_ts ON calls(ts);
    """,
    """
    ALTER TABLE calls ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE calls ADD COLUMN detail TEXT NOT NULL DEFAULT '';
    CREATE INDEX calls_provider_ts ON calls(provider, ts);
    """,
    """
    ALTER TABLE calls ADD COLUMN client TEXT NOT NULL DEFAULT '';
    CREATE INDEX calls_client_ts ON calls(client, ts);
    CREATE TABLE reservations (
        id BIGSERIAL PRIMARY KEY,
        client TEXT NOT NULL DEFAULT '',
        amount_usd DOUBLE PRECISION NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        expires DOUBLE PRECISION NOT NULL
    );
    """,
)

MIGRATION_LOCK = 0x6D6F6D  # pg_advisory_xact_lock key while migrating ("mom")

assert len(POSTGRES_MIGRATIONS) == len(SQLITE_MIGRATIONS), "migrations out of lockstep"


def migrate_postgres(conn: Any) -> int:
    """Apply pending steps on a psycopg connection; return the resulting version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS mom_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM mom_schema").fetchone()
        if row is None:
            conn.execute("INSERT INTO mom_schema (version) VALUES (0)")
            version = 0
        else:
            version = int(row[0])
    for index in range(version, len(POSTGRES_MIGRATIONS)):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            current = int(conn.execute("SELECT version FROM mom_schema").fetchone()[0])
            if current > index:  # another instance ran it while we waited
                continue
            conn.execute(POSTGRES_MIGRATIONS[index])
            conn.execute("UPDATE mom_schema SET version = %s", (index + 1,))
    return int(conn.execute("SELECT version FROM mom_schema").fetchone()[0])
