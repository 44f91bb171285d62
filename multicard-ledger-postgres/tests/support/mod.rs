//! The Postgres tests' harness: each test gets its own database on the
//! server named by `MULTICARD_TEST_DATABASE_URL` (a superuser URL on
//! 127.0.0.1), created for it and dropped at its end.
//!
//! Without the variable a test prints one `skipped:` line and returns,
//! unless `MULTICARD_REQUIRE_POSTGRES=1` (CI), where it fails.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub const URL_VARIABLE: &str = "MULTICARD_TEST_DATABASE_URL";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A database of one test; dropped by [`TestDb::drop_database`], or (after
/// a panic) by `Drop`.
pub struct TestDb {
    admin: PgConnectOptions,
    options: PgConnectOptions,
    pub name: String,
    dropped: bool,
}

/// A fresh database for `test`, or `None` (after printing why) when no
/// server is configured.
pub async fn database(test: &str) -> Option<TestDb> {
    let Some(url) = std::env::var(URL_VARIABLE).ok().filter(|url| !url.is_empty()) else {
        if std::env::var("MULTICARD_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("{URL_VARIABLE} is not set, and MULTICARD_REQUIRE_POSTGRES=1 requires the Postgres tests to run");
        }
        println!(
            "skipped: Postgres tests need {URL_VARIABLE} (a superuser URL on 127.0.0.1, e.g. \
             postgres://user:password@127.0.0.1:5432/postgres)"
        );
        return None;
    };
    let admin: PgConnectOptions = url.parse().expect("MULTICARD_TEST_DATABASE_URL is a Postgres URL");
    let name = format!("multicard_test_{test}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut connection = PgConnection::connect_with(&admin).await.expect("connect to the test server");
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\"")).execute(&mut connection).await.expect("create the database");
    connection.close().await.ok();
    let options = admin.clone().database(&name);
    Some(TestDb { admin, options, name, dropped: false })
}

impl TestDb {
    /// A pool on this test's database.
    pub async fn pool(&self, connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(std::time::Duration::from_secs(60))
            .connect_with(self.options.clone())
            .await
            .expect("connect to the test database")
    }

    /// One connection on this test's database, outside any ledger.
    pub async fn connection(&self) -> PgConnection {
        PgConnection::connect_with(&self.options).await.expect("connect to the test database")
    }

    /// Drops the database (closing whatever is still connected to it).
    pub async fn drop_database(mut self) {
        self.dropped = true;
        drop_database(&self.admin, &self.name).await;
    }
}

async fn drop_database(admin: &PgConnectOptions, name: &str) {
    let mut connection = PgConnection::connect_with(admin).await.expect("connect to the test server");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .expect("drop the test database");
    connection.close().await.ok();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // A test that panicked: drop its database on a runtime of its own.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(drop_database(&admin, &name));
            }
        })
        .join();
    }
}
