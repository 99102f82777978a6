//! A throwaway database per test: created under a random name, migrated, and
//! dropped (with `FORCE`, so open connections do not block it) when the
//! handle goes out of scope. Tests therefore run in parallel against the real
//! PostgreSQL/PostGIS and leave nothing behind.
#![allow(clippy::unwrap_used)]

use crate::Store;
use rand::Rng;

/// Server URL without a database; `FILLROUTE_PG_URL` overrides it.
pub fn server_url() -> String {
    std::env::var("FILLROUTE_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A migrated database that is dropped on drop.
pub struct TestDb {
    /// A store connected to it.
    pub store: Store,
    name: String,
}

impl TestDb {
    /// Creates and migrates `fillroute_test_<random>`. Panics with a hint when
    /// PostgreSQL does not answer.
    pub async fn new() -> Self {
        let name = format!("fillroute_test_{:016x}", rand::rng().random::<u64>());
        let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_url()))
            .await
            .expect("PostgreSQL answers on 127.0.0.1:5432 (run scripts/services.sh)");
        // The name is our own hex, never user input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let store = Store::connect(&format!("{}/{name}", server_url()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        Self { store, name }
    }

    /// The database's URL (for processes or pools of their own).
    pub fn url(&self) -> String {
        format!("{}/{}", server_url(), self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime; a fresh thread with its own runtime can block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(admin) =
                    sqlx::PgPool::connect(&format!("{}/postgres", server_url())).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}
