//! Test plumbing over the real backbone: a database per test, a JetStream
//! stream and subject prefix per test (deleted at the end), a temporary
//! object folder, and the ingest service on port 0.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use fillroute_ingest::bus::Bus;
use fillroute_ingest::{BusConfig, Ingest, IngestConfig};
use fillroute_proto::ingest::v1 as pb;
use fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient;
use fillroute_store::Store;
use fillroute_store::testing::TestDb;
use rand::Rng;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

pub mod postgres;
pub mod vision;

pub const ADMIN: &str = "admin-token-for-tests-0123456789";

/// NATS URL; `FILLROUTE_NATS_URL` overrides the local default.
pub fn nats_url() -> String {
    std::env::var("FILLROUTE_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// Unique stream and subject names for one test.
pub fn bus_config(nats_url: &str) -> BusConfig {
    let tag = format!("{:012x}", rand::rng().random::<u64>() & 0xffff_ffff_ffff);
    let mut bus = BusConfig::new(nats_url);
    bus.stream = format!("IMAGES_TEST_{tag}");
    bus.subject_prefix = format!("test{tag}.images");
    bus
}

/// The database a stack uses: a throwaway one on the shared server, or an
/// already migrated one the test owns (e.g. on a private cluster).
pub struct Database {
    pub store: Store,
    url: String,
    _owned: Option<TestDb>,
}

impl Database {
    pub fn url(&self) -> String {
        self.url.clone()
    }
}

/// One test's whole backbone.
pub struct Stack {
    pub db: Database,
    pub objects: tempfile::TempDir,
    pub config: IngestConfig,
    pub addr: SocketAddr,
    pub bus: Bus,
}

impl Stack {
    /// Starts the ingest service against a fresh database and stream.
    pub async fn start() -> Self {
        Self::start_with(nats_url(), |_| {}).await
    }

    pub async fn start_with(nats_url: String, tweak: impl FnOnce(&mut IngestConfig)) -> Self {
        let db = TestDb::new().await;
        let db = Database {
            store: db.store.clone(),
            url: db.url(),
            _owned: Some(db),
        };
        Self::start_on(db, nats_url, tweak).await
    }

    /// Starts the ingest service on a database the caller migrated.
    pub async fn start_on_database(
        database_url: &str,
        tweak: impl FnOnce(&mut IngestConfig),
    ) -> Self {
        let store = Store::connect(database_url).await.unwrap();
        store.migrate().await.unwrap();
        let db = Database {
            store,
            url: database_url.to_owned(),
            _owned: None,
        };
        Self::start_on(db, nats_url(), tweak).await
    }

    async fn start_on(
        db: Database,
        nats_url: String,
        tweak: impl FnOnce(&mut IngestConfig),
    ) -> Self {
        // The tests' bins stand around Amsterdam; RegisterBin needs a region there.
        fillroute_ingest::testing::cover_with_region(
            &db.store,
            "test",
            fillroute_ingest::testing::TEST_AREA,
        )
        .await;
        let objects = tempfile::tempdir().unwrap();
        let mut config = IngestConfig::new(db.url(), bus_config(&nats_url), objects.path(), ADMIN);
        config.max_unary_bytes = 256 << 10;
        tweak(&mut config);
        let ingest = Arc::new(
            Ingest::connect(config.clone())
                .await
                .expect("NATS answers (run scripts/services.sh)"),
        );
        let bus = ingest.bus.clone();
        let addr = spawn_ingest(ingest);
        Self {
            db,
            objects,
            config,
            addr,
            bus,
        }
    }

    pub async fn client(&self) -> IngestServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        IngestServiceClient::new(channel).max_encoding_message_size(64 << 20)
    }

    /// Registers a bin and a camera for it over gRPC.
    pub async fn camera(&self) -> Camera {
        self.camera_with(pb::RegisterDeviceRequest::default()).await
    }

    pub async fn camera_with(&self, mut device: pb::RegisterDeviceRequest) -> Camera {
        let mut c = self.client().await;
        let bin = c
            .register_bin(admin(bin_request(4.9, 52.37)))
            .await
            .unwrap()
            .into_inner()
            .bin_id;
        device.bin_id = bin;
        let d = c.register_device(admin(device)).await.unwrap().into_inner();
        Camera {
            bin,
            device_id: d.device_id,
            token: d.token,
        }
    }

    /// Messages currently in this test's stream.
    pub async fn stream_messages(&self) -> u64 {
        let mut stream = self
            .bus
            .js
            .get_stream(&self.bus.config.stream)
            .await
            .unwrap();
        stream.info().await.unwrap().state.messages
    }

    /// Deletes the stream; call at the end of each test.
    pub async fn cleanup(self) {
        let _ = self.bus.delete_stream().await;
    }
}

/// A registered camera's credentials.
#[derive(Debug, Clone)]
pub struct Camera {
    pub bin: i64,
    pub device_id: String,
    pub token: String,
}

impl Camera {
    /// `message` with this camera's credentials in metadata.
    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        fillroute_ingest::testing::device(&self.device_id, &self.token, message)
    }

    pub fn upload(
        &self,
        image: Vec<u8>,
        captured_at_unix_ms: i64,
    ) -> tonic::Request<pb::UploadImageRequest> {
        self.req(pb::UploadImageRequest {
            bin_id: 0,
            captured_at_unix_ms,
            image,
        })
    }
}

/// `message` with the admin token.
pub fn admin<T>(message: T) -> tonic::Request<T> {
    fillroute_ingest::testing::admin(ADMIN, message)
}

/// The shared bin fixture, open 06:00-18:00.
pub fn bin_request(lon: f64, lat: f64) -> pb::RegisterBinRequest {
    pb::RegisterBinRequest {
        time_windows: vec![pb::TimeWindow {
            weekday: None,
            opens_s: 6 * 3600,
            closes_s: 18 * 3600,
        }],
        ..fillroute_ingest::testing::bin_request(lon, lat)
    }
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A small JPEG of a bin `fill` full.
pub fn jpeg(fill: f32, seed: u64) -> Vec<u8> {
    fillroute_vision_server::synthetic::jpeg(&fillroute_vision_server::synthetic::fill_frame(
        fill, seed, 96,
    ))
}

/// Serves `ingest` on port 0 on its own thread and runtime (so it outlives any one test's runtime).
pub fn spawn_ingest(ingest: Arc<Ingest>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            fillroute_ingest::run_with(listener, ingest, std::future::pending())
                .await
                .unwrap();
        });
    });
    rx.recv_timeout(Duration::from_secs(30)).unwrap()
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}
