//! The ledger's tables: the migrations shipped in `migrations/` and
//! [`PgLedger::migrate`].

use multicard_api::fulfilment::LedgerError;

use crate::PgLedger;
use crate::errors::ledger_error;

/// The migrations, in order: version, name, SQL.
const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "fulfilment_ledger", include_str!("../migrations/0001_fulfilment_ledger.sql"))];

/// The advisory lock two replicas migrating at once take in turn
/// (`"mcledger"` in ASCII).
const MIGRATION_LOCK: i64 = 0x6d63_6c65_6467_6572;

impl PgLedger {
    /// Creates or updates the ledger's tables: idempotent, safe to call at
    /// every start from every replica at once. Runs in one transaction
    /// under an advisory lock (a second replica waits, then finds the work
    /// done), and records each migration in `multicard_schema_migrations`.
    /// Returns how many migrations it applied.
    pub async fn migrate(&self) -> Result<usize, LedgerError> {
        let mut tx = self.pool.begin().await.map_err(ledger_error)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(ledger_error)?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS multicard_schema_migrations (
                 version    integer     PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .execute(&mut *tx)
        .await
        .map_err(ledger_error)?;
        let applied: Vec<i32> = sqlx::query_scalar("SELECT version FROM multicard_schema_migrations")
            .fetch_all(&mut *tx)
            .await
            .map_err(ledger_error)?;
        let mut count = 0;
        for (version, name, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(ledger_error)?;
            sqlx::query("INSERT INTO multicard_schema_migrations (version, name) VALUES ($1, $2)")
                .bind(version)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(ledger_error)?;
            count += 1;
        }
        tx.commit().await.map_err(ledger_error)?;
        Ok(count)
    }
}
