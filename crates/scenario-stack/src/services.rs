//! The real services, started in this process on 127.0.0.1:0: the vision
//! service (ONNX Runtime), the ingest service, vision workers on a private
//! JetStream stream and consumer, and the planner service, all on a
//! throwaway PostGIS database created for the run and dropped after it.
//! Nothing is mocked: the replay talks to them only over gRPC, and they talk
//! to PostgreSQL and NATS as they do in production.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use fillroute_clock::Clock;
use fillroute_ingest::config::ObjectStoreConfig;
use fillroute_ingest::worker::{self, WorkerConfig};
use fillroute_ingest::{BusConfig, Ingest, IngestConfig};
use fillroute_planning_server::Tokens;
use fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient;
use fillroute_proto::planner::v1::planner_service_client::PlannerServiceClient;
use fillroute_proto::vision::v1::GetModelInfoRequest;
use fillroute_proto::vision::v1::vision_service_client::VisionServiceClient;
use fillroute_store::Store;
use fillroute_vision::backbone::BackboneConfig;
use fillroute_vision_server::ServerConfig;
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::error::{Result, StackError};

/// Where the backing services are and how many workers to run.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// PostgreSQL server URL; the run creates its own database there and drops it at the end.
    pub database_url: String,
    /// NATS server URL; the run uses its own stream and consumer and deletes them at the end.
    pub nats_url: String,
    /// Vision workers sharing the consumer.
    pub workers: usize,
    /// ONNX Runtime intra-op threads of the vision service.
    pub threads: usize,
}

impl Default for StackOptions {
    /// The local services `scripts/services.sh` starts.
    fn default() -> Self {
        Self {
            database_url: std::env::var("FILLROUTE_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
            nats_url: std::env::var("FILLROUTE_NATS_URL")
                .unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
            workers: 1,
            threads: 2,
        }
    }
}

/// The running services and how to reach them.
pub struct Services {
    /// The run's database.
    pub store: Store,
    /// Its name on the server.
    pub database: String,
    /// `IngestService` (cameras and the administrator).
    pub ingest: IngestServiceClient<Channel>,
    /// `PlannerService` (the dispatcher).
    pub planner: PlannerServiceClient<Channel>,
    /// The administrator's bearer token for ingestion.
    pub admin_token: String,
    /// The planner role's bearer token.
    pub planner_token: String,
    server_url: String,
    bus: fillroute_ingest::bus::Bus,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _objects: tempfile::TempDir,
}

fn token() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

/// `postgres://user@host:port` of a URL that may name a database.
fn server_part(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| {
            crate::error::invalid(
                "--database-url",
                url,
                "use postgres://USER@HOST:PORT (the run creates and drops its own database there)",
            )
        })?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    Ok(format!("postgres://{host}"))
}

/// The URL without a password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => {
            let user = url[s + 3..at].split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn listener() -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| StackError::Service {
            service: "listener",
            detail: format!("cannot bind 127.0.0.1:0: {e}"),
        })
}

async fn channel(addr: SocketAddr) -> Result<Channel> {
    let mut last = String::new();
    for _ in 0..100 {
        match Channel::from_shared(format!("http://{addr}"))
            .map_err(|e| StackError::Service {
                service: "channel",
                detail: e.to_string(),
            })?
            .connect()
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(StackError::Service {
        service: "channel",
        detail: format!("nothing answers on {addr}: {last}"),
    })
}

impl Services {
    /// Creates the database, then starts the vision service with the fill
    /// head at `head`, the ingest service, `options.workers` vision workers
    /// and the planner service, all reading "now" from `clock`.
    pub async fn start(options: &StackOptions, head: &Path, clock: Clock) -> Result<Self> {
        let server_url = server_part(&options.database_url)?;
        let database = format!(
            "fillroute_scenario_{:012x}",
            rand::rng().random::<u64>() >> 16
        );
        let unreachable = |e: &dyn std::fmt::Display| StackError::Unreachable {
            service: "PostgreSQL",
            url: redacted(&options.database_url),
            detail: e.to_string(),
            fix: "start it (scripts/services.sh) or pass --database-url postgres://USER@HOST:PORT \
                  of a server where USER may create databases",
        };
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&format!("{server_url}/postgres"))
            .await
            .map_err(|e| unreachable(&e))?;
        // The name is our own hex, never user input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&admin)
            .await
            .map_err(|e| unreachable(&e))?;
        admin.close().await;
        let database_url = format!("{server_url}/{database}");
        let store = Store::connect(&database_url).await?;
        store.migrate().await?;

        let (stop, stopped) = watch::channel(false);
        let until_stopped = move || {
            let mut s = stopped.clone();
            async move {
                let _ = s.wait_for(|v| *v).await;
            }
        };
        let mut tasks = Vec::new();

        // Vision service: the scenario's fill head on the real backbone.
        let mut vision = ServerConfig::new(head);
        vision.backbone = BackboneConfig::from_env(options.threads.max(1));
        vision.max_batch = 32;
        vision.max_batch_wait = Duration::from_millis(5);
        vision.queue_capacity = 256;
        vision.decode_threads = options.threads.max(1);
        let l = listener().await?;
        let vision_addr = l.local_addr().map_err(|e| StackError::Service {
            service: "vision",
            detail: e.to_string(),
        })?;
        let down = until_stopped();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = fillroute_vision_server::run(l, vision, down).await {
                tracing::error!(error = %e, "vision service stopped");
            }
        }));
        // Workers back off for long on an unavailable service: wait until the models are loaded.
        let mut probe = VisionServiceClient::new(channel(vision_addr).await?);
        let mut ready = false;
        for _ in 0..600 {
            if probe.get_model_info(GetModelInfoRequest {}).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !ready {
            return Err(StackError::Service {
                service: "vision",
                detail: "the vision service did not load its models within 60 s; \
                         run scripts/setup.sh and `source ~/.cache/fillroute/env.sh`"
                    .into(),
            });
        }

        // Ingest service on a private stream.
        let tag = format!("{:012x}", rand::rng().random::<u64>() >> 16);
        let mut bus = BusConfig::new(&options.nats_url);
        bus.stream = format!("IMAGES_SCENARIO_{tag}");
        bus.subject_prefix = format!("scenario{tag}.images");
        let objects = tempfile::tempdir().map_err(|e| StackError::Service {
            service: "objects",
            detail: format!("temporary folder: {e}"),
        })?;
        let admin_token = token();
        let mut config =
            IngestConfig::new(&database_url, bus.clone(), objects.path(), &admin_token);
        config.clock = clock.clone();
        let ingest = Ingest::connect(config)
            .await
            .map_err(|e| StackError::Unreachable {
                service: "NATS JetStream",
                url: options.nats_url.clone(),
                detail: e.to_string(),
                fix: "start it with JetStream enabled (scripts/services.sh) or pass --nats-url nats://HOST:PORT",
            })?;
        let bus_handle = ingest.bus.clone();
        let l = listener().await?;
        let ingest_addr = l.local_addr().map_err(|e| StackError::Service {
            service: "ingest",
            detail: e.to_string(),
        })?;
        let down = until_stopped();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = fillroute_ingest::run_with(l, std::sync::Arc::new(ingest), down).await {
                tracing::error!(error = %e, "ingest service stopped");
            }
        }));

        // Vision workers sharing one durable consumer.
        for _ in 0..options.workers.max(1) {
            let mut w = WorkerConfig::new(
                &database_url,
                bus.clone(),
                ObjectStoreConfig::LocalDir(objects.path().to_path_buf()),
                format!("http://{vision_addr}"),
            );
            w.consumer = format!("scenario-workers-{tag}");
            w.batch = 32;
            w.fetch_wait = Duration::from_millis(100);
            w.backoff = vec![Duration::from_millis(500), Duration::from_secs(2)];
            w.clock = clock.clone();
            let down = until_stopped();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = worker::run(w, down).await {
                    tracing::error!(error = %e, "vision worker stopped");
                }
            }));
        }

        // Planner service.
        let tokens = Tokens {
            dashboard: token(),
            planner: token(),
        };
        let planner_token = tokens.planner.clone();
        let l = listener().await?;
        let planner_addr = l.local_addr().map_err(|e| StackError::Service {
            service: "planner",
            detail: e.to_string(),
        })?;
        let (planner_store, down) = (store.clone(), until_stopped());
        tasks.push(tokio::spawn(async move {
            if let Err(e) =
                fillroute_planning_server::run_with_clock(l, planner_store, tokens, clock, down)
                    .await
            {
                tracing::error!(error = %e, "planner service stopped");
            }
        }));

        let ingest = IngestServiceClient::new(channel(ingest_addr).await?)
            .max_encoding_message_size(16 << 20);
        let planner = PlannerServiceClient::new(channel(planner_addr).await?)
            .max_decoding_message_size(64 << 20);
        Ok(Self {
            store,
            database,
            ingest,
            planner,
            admin_token,
            planner_token,
            server_url,
            bus: bus_handle,
            stop,
            tasks,
            _objects: objects,
        })
    }

    /// Stops every service, deletes the stream and drops the database.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        let _ = self.bus.delete_stream().await;
        self.store.pool().close().await;
        if let Ok(admin) = sqlx::PgPool::connect(&format!("{}/postgres", self.server_url)).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.database
            )))
            .execute(&admin)
            .await;
            admin.close().await;
        }
    }
}

/// `message` with a bearer token.
pub(crate) fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    if let Ok(v) = format!("Bearer {token}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_reduced_to_its_server() {
        assert_eq!(
            server_part("postgres://postgres@127.0.0.1:5432/fillroute?sslmode=disable").ok(),
            Some("postgres://postgres@127.0.0.1:5432".into())
        );
        let e = server_part("mysql://x@y").err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("--database-url") && e.contains("postgres://")));
    }

    #[test]
    fn passwords_are_not_echoed() {
        assert_eq!(
            redacted("postgres://me:secret@db:5432"),
            "postgres://me:***@db:5432"
        );
    }
}
