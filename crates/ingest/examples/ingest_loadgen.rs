//! Load generator: N simulated cameras upload over loopback gRPC to the real
//! ingest service, backed by real PostGIS and JetStream, while in-process
//! vision workers classify through a real vision service. Reports upload-ack
//! latency at a fixed offered rate, sustained end-to-end images/s and backlog
//! drain time after a burst, and the lost and duplicated counts (which must
//! be 0). It builds its own throwaway database and stream and removes them.
//!
//! `cargo run --release -p fillroute-ingest --example ingest_loadgen -- --help`
#![allow(clippy::unwrap_used)]

use clap::Parser;
use fillroute_ingest::config::ObjectStoreConfig;
use fillroute_ingest::testing::{admin, device};
use fillroute_ingest::worker::WorkerConfig;
use fillroute_ingest::{BusConfig, Ingest, IngestConfig};
use fillroute_proto::ingest::v1 as pb;
use fillroute_proto::ingest::v1::ingest_service_client::IngestServiceClient;
use fillroute_store::testing::TestDb;
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

#[derive(Debug, Parser)]
struct Args {
    /// Simulated cameras.
    #[arg(long, default_value_t = 100)]
    devices: usize,
    /// Offered upload rate in the latency phase, uploads/s.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Length of the latency phase, seconds.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Length of the burst (uploads as fast as they are acknowledged), seconds.
    #[arg(long, default_value_t = 60.0)]
    burst_seconds: f64,
    /// Concurrent uploads during the burst.
    #[arg(long, default_value_t = 32)]
    burst_concurrency: usize,
    /// Vision workers (in this process).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Messages per worker fetch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Vision service URL; without it one is started in-process with an untrained
    /// classifier of the right shape (identical cost, meaningless fill values).
    #[arg(long)]
    vision_url: Option<String>,
    /// In-process vision service: inference threads, each with its own ONNX
    /// Runtime session.
    #[arg(long, default_value_t = 1)]
    inference_workers: usize,
    /// In-process vision service: ONNX Runtime intra-op threads per session.
    #[arg(long, default_value_t = 2)]
    intra_threads: usize,
    /// Side of the synthetic JPEG frames, pixels.
    #[arg(long, default_value_t = 320)]
    side: u32,
    /// NATS URL.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
}

/// Set with `--workers 0`: measure the ingest path alone, drain nothing.
static NO_WORKERS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

const ADMIN: &str = "loadgen-admin-token-0123456789";

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[derive(Clone)]
struct Device {
    id: String,
    token: String,
}

impl Device {
    fn upload(&self, image: Vec<u8>, at: i64) -> tonic::Request<pb::UploadImageRequest> {
        device(
            &self.id,
            &self.token,
            pb::UploadImageRequest {
                bin_id: 0,
                captured_at_unix_ms: at,
                image,
            },
        )
    }
}

fn untrained_vision(dir: &std::path::Path, args: &Args) -> String {
    use fillroute_vision::classifier::{ARTIFACT_FORMAT, ArtifactMetrics, TrainingSummary};
    use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, FEATURE_DIM};
    let backbone = fillroute_vision::backbone::BackboneConfig::from_env(2);
    let sha = fillroute_vision::backbone::Backbone::load(&backbone)
        .expect("backbone (source ~/.cache/fillroute/env.sh)")
        .sha256()
        .to_owned();
    let k = DEFAULT_FILL_CLASSES.len();
    let model = Classifier {
        format: ARTIFACT_FORMAT,
        version: "loadgen".into(),
        classes: DEFAULT_FILL_CLASSES.map(String::from).to_vec(),
        midpoints: None,
        backbone_sha256: sha,
        mean: vec![0.0; FEATURE_DIM],
        scale: vec![1.0; FEATURE_DIM],
        weights: (0..k * FEATURE_DIM)
            .map(|i| ((i % 17) as f32 - 8.0) * 1e-3)
            .collect(),
        intercept: vec![0.0; k],
        l2: 1.0,
        training: TrainingSummary::default(),
        metrics: ArtifactMetrics::default(),
    };
    let path = dir.join("classifier.json");
    model.save(&path).unwrap();
    let mut config = fillroute_vision_server::ServerConfig::new(&path);
    config.max_batch = 32;
    config.queue_capacity = 512;
    config.inference_workers = args.inference_workers;
    config.backbone.intra_threads = args.intra_threads;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            fillroute_vision_server::run(listener, config, std::future::pending())
                .await
                .unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

async fn wait_drained(db: &TestDb, expected: i64, timeout: Duration) -> Option<Instant> {
    if NO_WORKERS.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let start = Instant::now();
    while start.elapsed() < timeout {
        let c = db.store.pipeline_counts().await.unwrap();
        if c.classified + c.failed >= expected {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    NO_WORKERS.store(args.workers == 0, std::sync::atomic::Ordering::Relaxed);
    let db = TestDb::new().await;
    // RegisterBin refuses bins outside every region; the bench's bins are near Amsterdam.
    fillroute_ingest::testing::cover_with_region(
        &db.store,
        "bench",
        fillroute_ingest::testing::TEST_AREA,
    )
    .await;
    let objects = tempfile::tempdir().unwrap();
    let mut bus = BusConfig::new(&args.nats_url);
    let tag = format!("{:08x}", rand::random::<u32>());
    bus.stream = format!("IMAGES_BENCH_{tag}");
    bus.subject_prefix = format!("bench{tag}.images");
    let mut config = IngestConfig::new(db.url(), bus.clone(), objects.path(), ADMIN);
    config.default_uploads_per_minute = 1_000_000;
    let ingest = Arc::new(Ingest::connect(config).await.unwrap());
    let bus_handle = ingest.bus.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(fillroute_ingest::run_with(
        listener,
        ingest,
        std::future::pending(),
    ));
    let vision_url = args
        .vision_url
        .clone()
        .unwrap_or_else(|| untrained_vision(objects.path(), &args));

    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .tcp_nodelay(true)
        .connect()
        .await
        .unwrap();
    let client = IngestServiceClient::new(channel);
    let mut devices = Vec::new();
    for i in 0..args.devices {
        let mut c = client.clone();
        let bin = c
            .register_bin(admin(
                ADMIN,
                pb::RegisterBinRequest {
                    lon: 4.8 + (i as f64) * 1e-4,
                    lat: 52.3,
                    capacity_litres: 1100,
                    waste_stream: "residual".into(),
                    service_time_s: 60,
                    container_type: "wheelie".into(),
                    customer: "bench".into(),
                    time_windows: vec![],
                    fill_rate_prior: None,
                    fill_rate_prior_log_sd: None,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .bin_id;
        let d = c
            .register_device(admin(
                ADMIN,
                pb::RegisterDeviceRequest {
                    bin_id: bin,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        devices.push(Device {
            id: d.device_id,
            token: d.token,
        });
    }
    // Each device's first call: one HMAC-SHA256 check, the same as any later call.
    let cold_start = Instant::now();
    for d in &devices {
        let r = device(
            &d.id,
            &d.token,
            pb::HeartbeatRequest {
                firmware: "bench".into(),
            },
        );
        client.clone().heartbeat(r).await.unwrap();
    }
    let cold_ms = cold_start.elapsed().as_secs_f64() * 1000.0 / devices.len() as f64;
    let frames: Vec<Vec<u8>> = (0..64)
        .map(|i| {
            fillroute_vision_server::synthetic::jpeg(
                &fillroute_vision_server::synthetic::fill_frame((i % 6) as f32 / 5.0, i, args.side),
            )
        })
        .collect();
    let mean_bytes = frames.iter().map(Vec::len).sum::<usize>() / frames.len();

    // Workers.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    for _ in 0..args.workers {
        let mut w = WorkerConfig::new(
            db.url(),
            bus.clone(),
            ObjectStoreConfig::LocalDir(objects.path().to_path_buf()),
            vision_url.clone(),
        );
        w.batch = args.batch;
        w.fetch_wait = Duration::from_millis(100);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            fillroute_ingest::worker::run(w, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
            .unwrap();
        });
    }
    // Warm up: one image end to end, so model loading is not measured.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let seq = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let base_ms = now_ms() - 3_600_000;
    {
        let r = client
            .clone()
            .upload_image(devices[0].upload(frames[0].clone(), base_ms - 1))
            .await
            .unwrap()
            .into_inner();
        acked.lock().unwrap().insert(r.image_id);
        if args.workers > 0 {
            wait_drained(&db, 1, Duration::from_secs(300))
                .await
                .expect("warm-up image classified");
        }
    }

    // Phase 1: fixed offered rate, ack latency.
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let total = (args.rate * args.seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let phase1_start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    let mut errors1 = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..total {
        let due = phase1_start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (mut c, d, frame, acked, seq) = (
            client.clone(),
            devices[i % devices.len()].clone(),
            frames[i % frames.len()].clone(),
            acked.clone(),
            seq.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let at = base_ms + seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sent = Instant::now();
            let r = c.upload_image(d.upload(frame, at)).await;
            let us = sent.elapsed().as_micros() as u64;
            r.map(|r| {
                acked.lock().unwrap().insert(r.into_inner().image_id);
                us
            })
        }));
    }
    for t in tasks {
        match t.await.unwrap() {
            Ok(us) => latency.record(us.max(1)).unwrap(),
            Err(status) => *errors1.entry(format!("{:?}", status.code())).or_default() += 1,
        }
    }
    let phase1_acked = acked.lock().unwrap().len() as i64;
    let drained1 = wait_drained(&db, phase1_acked, Duration::from_secs(600)).await;
    let phase1_e2e = drained1.map(|t| (phase1_acked - 1) as f64 / (t - phase1_start).as_secs_f64());

    // Phase 2: burst at full speed, then drain.
    let burst_start = Instant::now();
    let burst_end = burst_start + Duration::from_secs_f64(args.burst_seconds);
    let mut uploaders = Vec::new();
    let errors2 = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for u in 0..args.burst_concurrency {
        let (client, devices, frames, acked, seq, errors2) = (
            client.clone(),
            devices.clone(),
            frames.clone(),
            acked.clone(),
            seq.clone(),
            errors2.clone(),
        );
        uploaders.push(tokio::spawn(async move {
            let mut i = u;
            while Instant::now() < burst_end {
                let at = base_ms + seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let d = &devices[i % devices.len()];
                match client
                    .clone()
                    .upload_image(d.upload(frames[i % frames.len()].clone(), at))
                    .await
                {
                    Ok(r) => {
                        acked.lock().unwrap().insert(r.into_inner().image_id);
                    }
                    Err(_) => {
                        errors2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                i += args.burst_concurrency;
            }
        }));
    }
    for u in uploaders {
        u.await.unwrap();
    }
    let burst_done = Instant::now();
    let total_acked = acked.lock().unwrap().len() as i64;
    let burst_images = total_acked - phase1_acked;
    let backlog_at_end = total_acked - {
        let c = db.store.pipeline_counts().await.unwrap();
        c.classified + c.failed
    };
    let drained2 = wait_drained(&db, total_acked, Duration::from_secs(1800)).await;
    if args.workers > 0 {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let counts = db.store.pipeline_counts().await.unwrap();
    let acked_ids = acked.lock().unwrap().clone();
    let mut lost = 0;
    for id in acked_ids.iter().filter(|_| args.workers > 0) {
        let record = db
            .store
            .image(fillroute_store::ImageId(id.parse().unwrap()))
            .await
            .unwrap();
        if record.is_none_or(|r| r.status != fillroute_store::ImageStatus::Classified) {
            lost += 1;
        }
    }
    let duplicated = (counts.camera_readings - counts.images_with_reading)
        + (counts.images - acked_ids.len() as i64).max(0);

    println!("## ingest load generator");
    println!(
        "first call of a device (heartbeat, HMAC token check, sequential): {cold_ms:.1} ms mean"
    );
    println!(
        "devices {}, workers {}, batch {}, image {}x{} JPEG (~{} bytes), cores {}",
        args.devices,
        args.workers,
        args.batch,
        args.side,
        args.side,
        mean_bytes,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "phase 1 (offered {:.0}/s for {:.0} s): {} acked, errors {:?}; ack latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; end-to-end {} images/s",
        args.rate,
        args.seconds,
        phase1_acked - 1,
        errors1,
        latency.value_at_quantile(0.5) as f64 / 1000.0,
        latency.value_at_quantile(0.99) as f64 / 1000.0,
        latency.max() as f64 / 1000.0,
        phase1_e2e.map_or("n/a".into(), |r| format!("{r:.1}")),
    );
    let burst_secs = (burst_done - burst_start).as_secs_f64();
    println!(
        "phase 2 (burst {:.0} s, {} concurrent): {} acked ({:.1} uploads/s), {} errors; backlog at burst end {}; drain {} s; sustained end-to-end {} images/s",
        burst_secs,
        args.burst_concurrency,
        burst_images,
        burst_images as f64 / burst_secs,
        errors2.load(std::sync::atomic::Ordering::Relaxed),
        backlog_at_end,
        drained2.map_or("n/a".into(), |t| format!(
            "{:.1}",
            (t - burst_done).as_secs_f64()
        )),
        drained2.map_or("n/a".into(), |t| format!(
            "{:.1}",
            burst_images as f64 / (t - burst_start).as_secs_f64()
        )),
    );
    println!(
        "lost {lost}, duplicated {duplicated} (images {}, readings {}, failed {})",
        counts.images, counts.camera_readings, counts.failed
    );
    let _ = stop_tx.send(true);
    let _ = bus_handle.delete_stream().await;
    if args.vision_url.is_none() && args.workers > 0 {
        // The pipeline is idle now: measure what the vision service's
        // sessions could do with nothing else running.
        let bare = tokio::task::spawn_blocking(move || bare_inference(&frames, &args))
            .await
            .unwrap();
        let sustained = drained2.map(|t| burst_images as f64 / (t - burst_start).as_secs_f64());
        println!(
            "baseline, same run: decode + preprocess + inference alone, same sessions and threads: {bare:.1} images/s; sustained end-to-end is {} of it",
            sustained.map_or("n/a".into(), |r| format!("{:.0} %", 100.0 * r / bare)),
        );
    }
}

/// Images/s of the backbone alone on `frames` (decode, preprocess and
/// inference in batches of 32), with the in-process vision service's sessions
/// and threads, for 5 s after a warm-up batch.
fn bare_inference(frames: &[Vec<u8>], args: &Args) -> f64 {
    use fillroute_vision::DecodeLimits;
    use fillroute_vision::backbone::{Backbone, BackboneConfig};
    use fillroute_vision::extract::prepare_batch;
    const SECONDS: f64 = 5.0;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let ready = std::sync::Barrier::new(args.inference_workers);
    let refs: Vec<&[u8]> = frames.iter().take(32).map(Vec::as_slice).collect();
    std::thread::scope(|s| {
        for _ in 0..args.inference_workers {
            s.spawn(|| {
                let mut backbone =
                    Backbone::load(&BackboneConfig::from_env(args.intra_threads)).unwrap();
                let batch = || prepare_batch(&refs, &DecodeLimits::default()).0;
                backbone.run(&batch()).unwrap();
                ready.wait();
                let start = Instant::now();
                while start.elapsed().as_secs_f64() < SECONDS {
                    backbone.run(&batch()).unwrap();
                    done.fetch_add(refs.len(), std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    done.into_inner() as f64 / SECONDS
}
