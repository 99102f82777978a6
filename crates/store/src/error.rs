//! One classification of database failures, so callers map them to their
//! own errors without matching on driver internals.

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or is shutting down; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A referenced row does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of row (`bin`, `device`, `image`).
        what: &'static str,
        /// Its id as text.
        id: String,
    },
    /// A constraint refused the row (foreign key, check, uniqueness).
    #[error("constraint {constraint} violated: {message}")]
    Constraint {
        /// The constraint's name, when PostgreSQL reports it.
        constraint: String,
        /// PostgreSQL's message.
        message: String,
    },
    /// The request contradicts stored state (e.g. changing a committed plan).
    #[error("{0}")]
    Conflict(String),
    /// Any other database error (a bug or a schema mismatch).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The server answers but the database named in the URL does not exist
    /// (PostgreSQL 3D000): a fresh server, or a typo in the URL.
    #[error(
        "database \"{name}\" does not exist on this server: create it and its tables with `fillroute db create` (same --database-url / DATABASE_URL)"
    )]
    NoDatabase {
        /// The database name from the URL.
        name: String,
    },
}

impl StoreError {
    /// Whether retrying after the database comes back may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e),
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // Class 08: connection exception; 57P0x: shutdown; 53300: too many connections.
                if code == "3D000" {
                    // PostgreSQL says `database "NAME" does not exist`.
                    let name = db.message().split('"').nth(1).unwrap_or_default();
                    return Self::NoDatabase {
                        name: name.to_owned(),
                    };
                }
                if code.starts_with("08") || code.starts_with("57P") || code == "53300" {
                    Self::Unavailable(e)
                } else if code.starts_with("23") {
                    Self::Constraint {
                        constraint: db.constraint().unwrap_or_default().to_owned(),
                        message: db.message().to_owned(),
                    }
                } else {
                    Self::Database(e)
                }
            }
            _ => Self::Database(e),
        }
    }
}
