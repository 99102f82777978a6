//! The whole spine with real PostGIS, real JetStream and the real vision
//! service: upload → worker → reading, service event and forecast; and the
//! faults the design exists for (a worker killed mid-batch, a NATS outage
//! during uploads, a PostgreSQL restart under the workers, an image the
//! vision service refuses).
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use fillroute_ingest::config::ObjectStoreConfig;
use fillroute_ingest::worker::{self, WorkerConfig};
use fillroute_store::{BinId, DeviceId, ImageStatus, PipelineCounts};
use std::time::Duration;
use support::postgres::PrivatePostgres;
use support::{Stack, eventually, jpeg, now_ms, vision};
use time::OffsetDateTime;
use tonic::Code;

fn worker_config(stack: &Stack) -> WorkerConfig {
    let mut w = WorkerConfig::new(
        stack.db.url(),
        stack.config.bus.clone(),
        ObjectStoreConfig::LocalDir(stack.objects.path().to_path_buf()),
        vision::url(),
    );
    w.batch = 8;
    w.fetch_wait = Duration::from_millis(200);
    w.ack_wait = Duration::from_secs(3);
    w.backoff = vec![Duration::from_millis(200)];
    w.max_deliver = 3;
    w.housekeeping_every = Duration::from_millis(300);
    w.sweep.grace = Duration::from_millis(500);
    w
}

/// A worker on its own thread and runtime; dropping the handle kills it at
/// once, wherever it is (no graceful shutdown, like SIGKILL).
struct WorkerHandle {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    task: tokio::task::JoinHandle<()>,
}

fn spawn_worker(config: WorkerConfig) -> WorkerHandle {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = runtime.spawn(async move {
        worker::run(config, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    WorkerHandle {
        stop: Some(stop),
        runtime: Some(runtime),
        task,
    }
}

impl WorkerHandle {
    /// Whether `worker::run` is still going (it neither returned nor panicked).
    fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    fn kill(mut self) {
        self.stop.take();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Blocking on a runtime's shutdown is not allowed inside the test's runtime.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn counts(stack: &Stack) -> PipelineCounts {
    stack.db.store.pipeline_counts().await.unwrap()
}

fn assert_exactly_once(c: PipelineCounts, images: i64) {
    assert_eq!(c.images, images, "{c:?}");
    assert_eq!(c.classified, images, "every image classified: {c:?}");
    assert_eq!(
        c.camera_readings, images,
        "exactly one reading per image: {c:?}"
    );
    assert_eq!(c.images_with_reading, images, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_image_becomes_a_reading_a_service_event_and_a_forecast() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let worker = spawn_worker(worker_config(&stack));
    let mut c = stack.client().await;
    // Filling up over three hours, then emptied.
    let t0 = now_ms() - 4 * 3_600_000;
    for (i, fill) in [0.2f32, 0.5, 0.95, 0.0].into_iter().enumerate() {
        c.upload_image(cam.upload(jpeg(fill, 50 + i as u64), t0 + i as i64 * 3_600_000))
            .await
            .unwrap();
    }
    eventually(Duration::from_secs(120), "four readings", || async {
        counts(&stack).await.classified == 4
    })
    .await;
    assert_exactly_once(counts(&stack).await, 4);
    let bin = BinId(cam.bin);
    let readings = stack
        .db
        .store
        .readings_for_bin(bin, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(readings.len(), 4);
    assert!(
        readings
            .iter()
            .all(|r| r.model_version.is_some() && r.probabilities.len() > 1 && r.image.is_some())
    );
    let fills: Vec<f32> = readings.iter().map(|r| r.fill_fraction).collect();
    assert!(
        fills[2] > fills[0] && fills[3] < fills[2],
        "the classifier sees the rise and the emptying: {fills:?}"
    );
    let events = stack
        .db
        .store
        .service_events_for_bin(bin, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        1,
        "the emptying is a service event: {fills:?}"
    );
    let forecast = stack
        .db
        .store
        .forecast(bin)
        .await
        .unwrap()
        .expect("forecast stored");
    assert!(
        forecast.readings_used >= 1 && forecast.method.starts_with("fillroute-forecast"),
        "{forecast:?}"
    );
    drop(worker);
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_worker_mid_batch_still_gives_each_image_exactly_one_reading() {
    let stack = Stack::start().await;
    let cam = stack
        .camera_with(fillroute_proto::ingest::v1::RegisterDeviceRequest {
            uploads_per_minute: 1000,
            ..Default::default()
        })
        .await;
    let mut c = stack.client().await;
    let n = 32;
    let t0 = now_ms() - 3_600_000;
    for i in 0..n {
        c.upload_image(cam.upload(jpeg((i % 6) as f32 / 5.0, 100 + i as u64), t0 + i * 1000))
            .await
            .unwrap();
    }
    let first = spawn_worker(worker_config(&stack));
    eventually(
        Duration::from_secs(120),
        "the first worker to record something",
        || async { counts(&stack).await.classified > 0 },
    )
    .await;
    first.kill();
    let at_kill = counts(&stack).await;
    assert!(
        at_kill.classified < n,
        "killed before finishing: {at_kill:?}"
    );
    let second = spawn_worker(worker_config(&stack));
    eventually(
        Duration::from_secs(120),
        "every image classified",
        || async { counts(&stack).await.classified == n },
    )
    .await;
    // Let redeliveries of messages the dead worker held play out too.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_exactly_once(counts(&stack).await, n);
    drop(second);
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_the_worker_cannot_decode_is_dead_lettered_and_its_camera_flagged() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut c = stack.client().await;
    let r = c
        .upload_image(cam.upload(jpeg(0.5, 3), now_ms()))
        .await
        .unwrap()
        .into_inner();
    let id = fillroute_store::ImageId(r.image_id.parse().unwrap());
    // Uploads are decoded before they are accepted, so an image reaches the
    // worker undecodable only when its stored bytes changed afterwards (or it
    // was accepted before that check): JPEG magic, garbage body.
    let mut bogus = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bogus.extend((0..2000u32).map(|i| (i * 31 % 251) as u8));
    let object = stack
        .objects
        .path()
        .join(fillroute_ingest::objects::key_for(&r.sha256));
    std::fs::write(&object, bogus).unwrap();
    let worker = spawn_worker(worker_config(&stack));
    eventually(Duration::from_secs(60), "the image to fail", || async {
        stack.db.store.image(id).await.unwrap().unwrap().status == ImageStatus::Failed
    })
    .await;
    let record = stack.db.store.image(id).await.unwrap().unwrap();
    assert!(
        record.failure_reason.unwrap().contains("vision refused"),
        "reason recorded"
    );
    assert_eq!(counts(&stack).await.camera_readings, 0);
    // The dead letter sits on its own subject of the stream.
    let s = stack
        .bus
        .js
        .get_stream(&stack.bus.config.stream)
        .await
        .unwrap();
    let dead = s
        .get_last_raw_message_by_subject(&stack.bus.deadletter_subject(cam.bin))
        .await
        .unwrap();
    assert!(dead.headers.get("Fillroute-Failure").is_some());
    // The camera is flagged where operators see camera health (the bin's
    // flags in the planner's bin list come from the device's flags) ...
    let device = DeviceId(cam.device_id.parse().unwrap());
    eventually(
        Duration::from_secs(10),
        "the camera to be flagged",
        || async {
            let status = stack.db.store.device_status(device).await.unwrap().unwrap();
            status.health_flags.iter().any(|f| f == "undecodable_image")
        },
    )
    .await;
    // ... and the device hears it on its next heartbeat.
    let answer = c
        .heartbeat(cam.req(fillroute_proto::ingest::v1::HeartbeatRequest::default()))
        .await
        .unwrap();
    let flags = answer
        .metadata()
        .get("x-device-flags")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(flags.as_deref(), Some("undecodable_image"));
    drop(worker);
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_good_image_clears_the_cameras_undecodable_image_flag() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let device = DeviceId(cam.device_id.parse().unwrap());
    // As the worker leaves a camera whose image it could not decode.
    stack
        .db
        .store
        .add_device_flags(device, &["undecodable_image".into(), "blocked".into()])
        .await
        .unwrap();
    let mut c = stack.client().await;
    let heartbeat_flags = |answer: tonic::Response<_>| {
        answer
            .metadata()
            .get("x-device-flags")
            .map(|v: &tonic::metadata::MetadataValue<_>| v.to_str().unwrap().to_owned())
    };
    let before = c
        .heartbeat(cam.req(fillroute_proto::ingest::v1::HeartbeatRequest::default()))
        .await
        .unwrap();
    assert_eq!(
        heartbeat_flags(before).as_deref(),
        Some("blocked,undecodable_image")
    );
    c.upload_image(cam.upload(jpeg(0.5, 4), now_ms()))
        .await
        .unwrap();
    let worker = spawn_worker(worker_config(&stack));
    eventually(
        Duration::from_secs(60),
        "the good image to be read",
        || async { counts(&stack).await.camera_readings == 1 },
    )
    .await;
    let status = stack.db.store.device_status(device).await.unwrap().unwrap();
    assert!(
        !status.health_flags.iter().any(|f| f == "undecodable_image"),
        "cleared by a good image: {:?}",
        status.health_flags
    );
    let after = c
        .heartbeat(cam.req(fillroute_proto::ingest::v1::HeartbeatRequest::default()))
        .await
        .unwrap();
    // Only the flag the good image disproves goes; the vision service's own
    // reading of this image decides the rest.
    assert!(
        !heartbeat_flags(after)
            .unwrap_or_default()
            .contains("undecodable_image")
    );
    drop(worker);
    stack.cleanup().await;
}

/// A TCP proxy in front of PostgreSQL that a test can cut and restore: a
/// database restart as the worker sees it, without disturbing anyone else.
struct PgProxy {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl PgProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        Self {
            port,
            task: Some(tokio::spawn(Self::serve(listener))),
        }
    }

    async fn serve(listener: tokio::net::TcpListener) {
        // Dropping the set (when the task is aborted) closes every proxied connection.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            connections.spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        self.task = Some(tokio::spawn(Self::serve(listener)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_wait_out_a_database_outage_and_then_drain_the_backlog() {
    let stack = Stack::start().await;
    let cam = stack.camera().await;
    let mut proxy = PgProxy::start().await;
    let mut config = worker_config(&stack);
    config.database_url = stack
        .db
        .url()
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    // Few deliveries: if outage naks counted, these images would be dead-lettered.
    config.max_deliver = 2;
    let worker = spawn_worker(config);
    let mut c = stack.client().await;
    let t0 = now_ms() - 3_600_000;
    c.upload_image(cam.upload(jpeg(0.2, 400), t0))
        .await
        .unwrap();
    eventually(Duration::from_secs(60), "the first reading", || async {
        counts(&stack).await.classified == 1
    })
    .await;
    proxy.stop();
    for i in 1..6 {
        c.upload_image(cam.upload(jpeg(0.4, 400 + i as u64), t0 + i * 60_000))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let during = counts(&stack).await;
    assert_eq!(
        (during.classified, during.failed),
        (1, 0),
        "nothing recorded or failed while the database is away"
    );
    proxy.restart().await;
    eventually(Duration::from_secs(120), "the backlog to drain", || async {
        counts(&stack).await.classified == 6
    })
    .await;
    let after = counts(&stack).await;
    assert_exactly_once(after, 6);
    assert_eq!(after.failed, 0);
    drop(worker);
    proxy.stop();
    stack.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_recover_when_postgres_restarts() {
    // A real server restart (pg_ctl stop -m fast, then start) on a private
    // cluster: sessions are terminated and the port refuses connections.
    let pg = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap();
    let stack = Stack::start_on_database(&pg.url(), |_| {}).await;
    let cam = stack
        .camera_with(fillroute_proto::ingest::v1::RegisterDeviceRequest {
            uploads_per_minute: 1000,
            ..Default::default()
        })
        .await;
    let mut c = stack.client().await;
    let n = 40;
    let t0 = now_ms() - 3_600_000;
    for i in 0..n {
        c.upload_image(cam.upload(jpeg((i % 6) as f32 / 5.0, 500 + i as u64), t0 + i * 1000))
            .await
            .unwrap();
    }
    let mut config = worker_config(&stack);
    config.batch = 4;
    // Few deliveries: if outage naks counted, the backlog would be dead-lettered.
    config.max_deliver = 2;
    let worker = spawn_worker(config);
    eventually(
        Duration::from_secs(120),
        "the worker to record something",
        || async { counts(&stack).await.classified > 0 },
    )
    .await;
    let pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        std::thread::sleep(Duration::from_secs(3));
        pg.restart();
        pg
    })
    .await
    .unwrap();
    let at_restart = counts(&stack).await;
    assert!(
        at_restart.classified < n,
        "the restart came mid-run, with images still to classify: {at_restart:?}"
    );
    // The ingest service's pool recovers too: a fresh upload is accepted and classified.
    c.upload_image(cam.upload(jpeg(0.6, 600), t0 + n * 1000))
        .await
        .unwrap();
    eventually(
        Duration::from_secs(120),
        "the backlog to drain after the restart",
        || async { counts(&stack).await.classified == n + 1 },
    )
    .await;
    // Let any redelivery of messages in flight at the stop play out.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = counts(&stack).await;
    assert_exactly_once(after, n + 1);
    assert_eq!(after.failed, 0, "no image blamed for the outage: {after:?}");
    assert!(
        worker.is_running(),
        "the same worker recovered; it was never restarted"
    );
    drop(worker);
    stack.cleanup().await;
    drop(pg);
}

/// A private NATS server (own port and store folder) that a test may stop and restart.
struct PrivateNats {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateNats {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        nats.restart();
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = std::process::Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .or_else(|_| {
                std::process::Command::new("/usr/sbin/nats-server")
                    .args([
                        "-a",
                        "127.0.0.1",
                        "-p",
                        &self.port.to_string(),
                        "-js",
                        "-sd",
                    ])
                    .arg(self.dir.path())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
            })
            .expect("nats-server is installed");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("private nats-server did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_outage_answers_unavailable_and_loses_or_doubles_nothing() {
    let mut nats = PrivateNats::start();
    let stack = Stack::start_with(nats.url(), |_| {}).await;
    let cam = stack
        .camera_with(fillroute_proto::ingest::v1::RegisterDeviceRequest {
            uploads_per_minute: 1000,
            ..Default::default()
        })
        .await;
    let mut c = stack.client().await;
    let t0 = now_ms() - 3_600_000;
    let upload = |i: i64| cam.upload(jpeg((i % 6) as f32 / 5.0, 300 + i as u64), t0 + i * 1000);
    for i in 0..4 {
        c.upload_image(upload(i)).await.unwrap();
    }
    nats.stop();
    let mut refused = Vec::new();
    for i in 4..8 {
        let status = c.upload_image(upload(i)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        refused.push(i);
    }
    // Bytes and pending rows may exist for the refused uploads, but nothing was confirmed.
    nats.restart();
    // Two of the refused devices retry; the others never do, and only the sweeper can save their images.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for &i in &refused[..2] {
        let mut ok = None;
        for _ in 0..40 {
            match c.upload_image(upload(i)).await {
                Ok(r) => {
                    ok = Some(r.into_inner());
                    break;
                }
                Err(s) if s.code() == Code::Unavailable => {
                    tokio::time::sleep(Duration::from_millis(250)).await
                }
                Err(s) => panic!("{s:?}"),
            }
        }
        assert!(
            ok.unwrap().duplicate,
            "the retry finds the half-stored original"
        );
    }
    let worker = spawn_worker(worker_config(&stack));
    eventually(
        Duration::from_secs(120),
        "all eight images classified",
        || async { counts(&stack).await.classified == 8 },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_exactly_once(counts(&stack).await, 8);
    drop(worker);
    stack.cleanup().await;
}
