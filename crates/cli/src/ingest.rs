//! `fillroute ingest ...`: the upload service and the vision workers, each a
//! stateless process that can run in as many copies as the load needs.

use anyhow::Result;
use clap::{Args, Subcommand};
use fillroute_ingest::config::{BusConfig, IngestConfig, ObjectStoreConfig, Secret, TlsConfig};
use fillroute_ingest::worker::WorkerConfig;
use fillroute_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Ingest subcommands.
#[derive(Subcommand)]
pub enum IngestCmd {
    /// Serve fillroute.ingest.v1.IngestService (device uploads, registration).
    Serve(ServeArgs),
    /// Run a vision worker: JetStream → VisionService → fill readings in PostGIS.
    Worker(WorkerArgs),
    /// Apply the database migrations (PostGIS schema) and exit.
    Migrate(DbArgs),
}

/// Where the state lives.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// PostgreSQL URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/fillroute"
    )]
    pub database_url: String,
}

/// Shared bus and storage options.
#[derive(Args, Clone)]
pub struct BusArgs {
    /// NATS (JetStream) URL.
    #[arg(
        long,
        env = "FILLROUTE_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// Where uploaded images live: a folder, `file:///path`, or
    /// `s3://bucket?region=..&endpoint=..` (credentials from the AWS_* variables).
    #[arg(
        long = "objects",
        visible_alias = "objects-dir",
        env = "FILLROUTE_OBJECTS_DIR",
        default_value = "var/objects"
    )]
    pub objects: String,
    /// JetStream stream that carries uploaded images (one per deployment).
    #[arg(long, env = "FILLROUTE_STREAM", default_value = "IMAGES")]
    pub stream: String,
    /// Subject prefix: images on `<prefix>.received.<bin>`, dead letters on
    /// `<prefix>.deadletter.<bin>`.
    #[arg(long, env = "FILLROUTE_SUBJECT_PREFIX", default_value = "images")]
    pub subject_prefix: String,
}

impl BusArgs {
    fn bus(&self) -> BusConfig {
        let mut bus = BusConfig::new(self.nats_url.clone());
        bus.stream = self.stream.clone();
        bus.subject_prefix = self.subject_prefix.clone();
        bus
    }
}

/// TLS identity for `ingest serve`: both files, or neither for plaintext.
#[derive(Args, Clone)]
pub struct TlsArgs {
    /// PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, env = "FILLROUTE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate; needs --tls-cert.
    #[arg(long, env = "FILLROUTE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `ingest serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "FILLROUTE_INGEST_LISTEN",
        default_value = "127.0.0.1:50061"
    )]
    pub listen: SocketAddr,
    /// Admin token for registration calls (at least 16 characters).
    #[arg(long, env = "FILLROUTE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
    /// Server key (at least 32 characters) of the keyed hash device tokens
    /// are stored under; every replica needs the same one. Default: derived
    /// from the admin token, so rotating that re-keys every device.
    #[arg(long, env = "FILLROUTE_TOKEN_KEY", hide_env_values = true)]
    pub token_key: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub bus: BusArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// `ingest worker`.
#[derive(Args)]
pub struct WorkerArgs {
    /// The vision service to call.
    #[arg(
        long,
        env = "FILLROUTE_VISION_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub vision_url: String,
    /// Messages fetched and classified per batch.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub bus: BusArgs,
}

/// Runs an ingest subcommand.
pub fn run(cmd: IngestCmd) -> Result<()> {
    crate::init_logging();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match cmd {
            IngestCmd::Migrate(db) => {
                Store::connect(&db.database_url).await?.migrate().await?;
                println!("migrated {}", db.database_url);
            }
            IngestCmd::Serve(args) => {
                // Bad flags are reported before anything is connected or migrated.
                let objects = ObjectStoreConfig::parse(&args.bus.objects)?;
                Store::connect(&args.db.database_url)
                    .await?
                    .migrate()
                    .await?;
                let mut config = IngestConfig::new(
                    args.db.database_url,
                    args.bus.bus(),
                    PathBuf::new(),
                    args.admin_token,
                );
                config.objects = objects;
                config.listen = args.listen;
                if let Some(key) = args.token_key {
                    config.token_key = Secret::new(key);
                }
                if let (Some(cert_path), Some(key_path)) = (args.tls.tls_cert, args.tls.tls_key) {
                    config.tls = Some(TlsConfig {
                        cert_path,
                        key_path,
                    });
                }
                fillroute_ingest::serve(config, fillroute_vision_server::shutdown_signal()).await?;
            }
            IngestCmd::Worker(args) => {
                let mut config = WorkerConfig::new(
                    args.db.database_url,
                    args.bus.bus(),
                    ObjectStoreConfig::parse(&args.bus.objects)?,
                    args.vision_url,
                );
                config.batch = args.batch;
                fillroute_ingest::worker::run(config, fillroute_vision_server::shutdown_signal())
                    .await?;
            }
        }
        Ok(())
    })
}
