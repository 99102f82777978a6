//! Load generator for the vision service: C concurrent clients, each on its
//! own HTTP/2 connection, send ClassifyFill requests back to back for D
//! seconds; prints throughput, latency percentiles (HdrHistogram) and the
//! batch sizes the server reported, so the micro-batcher's effect is visible.

use clap::Parser;
use fillroute_proto::vision::v1::ClassifyFillRequest;
use fillroute_proto::vision::v1::vision_service_client::VisionServiceClient;
use fillroute_vision_server::synthetic;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// Drive fillroute.vision.v1.VisionService/ClassifyFill with concurrent clients.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Server address.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Concurrent clients (one connection each).
    #[arg(long, short, default_value_t = 8)]
    clients: usize,
    /// Measured seconds.
    #[arg(long, short, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured warm-up seconds before.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Folder of JPEG/PNG/WebP images to send; generated images when absent.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Side of generated images, pixels.
    #[arg(long, default_value_t = 480)]
    side: u32,
}

#[derive(Default)]
struct Tally {
    latency_us: Option<Histogram<u64>>,
    ok: u64,
    /// Calls answered, warm-up included (to divide the server's CPU time by).
    answered: u64,
    errors: BTreeMap<String, u64>,
    batch_sum: u64,
    queue_us_sum: u64,
}

async fn client_loop(
    mut client: VisionServiceClient<Channel>,
    images: Arc<Vec<Vec<u8>>>,
    offset: usize,
    measure_from: Instant,
    stop_at: Instant,
) -> Tally {
    let mut tally = Tally {
        latency_us: Histogram::new_with_bounds(1, 120_000_000, 3).ok(),
        ..Tally::default()
    };
    let mut i = offset;
    while Instant::now() < stop_at {
        let image = images[i % images.len()].clone();
        i += 1;
        let started = Instant::now();
        let result = client
            .classify_fill(ClassifyFillRequest {
                image,
                request_id: String::new(),
            })
            .await;
        tally.answered += 1;
        if started < measure_from {
            continue;
        }
        match result {
            Ok(response) => {
                let elapsed = started.elapsed().as_micros() as u64;
                if let Some(h) = tally.latency_us.as_mut() {
                    let _ = h.record(elapsed.max(1));
                }
                tally.ok += 1;
                if let Some(t) = response.into_inner().timings {
                    tally.batch_sum += u64::from(t.batch_size);
                    tally.queue_us_sum += u64::from(t.queue_us);
                }
            }
            Err(status) => {
                *tally
                    .errors
                    .entry(format!("{:?}", status.code()))
                    .or_default() += 1
            }
        }
    }
    tally
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let images = match &args.images {
        Some(dir) => match synthetic::folder_payloads(dir) {
            Ok(images) if !images.is_empty() => images,
            Ok(_) => {
                eprintln!("error: no JPEG/PNG/WebP images under {}", dir.display());
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        },
        None => synthetic::payloads(64, args.side),
    };
    let mean_bytes = images.iter().map(Vec::len).sum::<usize>() / images.len();
    let images = Arc::new(images);
    let endpoint = match Channel::from_shared(args.addr.clone()) {
        Ok(e) => e.connect_timeout(Duration::from_secs(30)).tcp_nodelay(true),
        Err(e) => {
            eprintln!("error: bad --addr {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let mut clients = Vec::with_capacity(args.clients);
    for _ in 0..args.clients.max(1) {
        match endpoint.connect().await {
            Ok(channel) => clients.push(VisionServiceClient::new(channel)),
            Err(e) => {
                eprintln!("error: cannot connect to {}: {e}", args.addr);
                return ExitCode::FAILURE;
            }
        }
    }
    let measure_from = Instant::now() + Duration::from_secs_f64(args.warmup.max(0.0));
    let stop_at = measure_from + Duration::from_secs_f64(args.duration.max(0.1));
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            tokio::spawn(client_loop(
                c,
                Arc::clone(&images),
                n * 7,
                measure_from,
                stop_at,
            ))
        })
        .collect();
    let mut total = Tally {
        latency_us: Histogram::new_with_bounds(1, 120_000_000, 3).ok(),
        ..Tally::default()
    };
    for task in tasks {
        let Ok(t) = task.await else { continue };
        if let (Some(all), Some(h)) = (total.latency_us.as_mut(), t.latency_us.as_ref()) {
            let _ = all.add(h);
        }
        total.ok += t.ok;
        total.answered += t.answered;
        total.batch_sum += t.batch_sum;
        total.queue_us_sum += t.queue_us_sum;
        for (code, n) in t.errors {
            *total.errors.entry(code).or_default() += n;
        }
    }
    let seconds = args.duration.max(0.1);
    let ms = |q: f64| {
        total
            .latency_us
            .as_ref()
            .map_or(0.0, |h| h.value_at_quantile(q) as f64 / 1000.0)
    };
    let per = |sum: u64| {
        if total.ok == 0 {
            0.0
        } else {
            sum as f64 / total.ok as f64
        }
    };
    println!(
        "clients={} duration_s={:.1} images={} mean_image_bytes={} ok={} answered_incl_warmup={} errors={:?}",
        args.clients,
        seconds,
        images.len(),
        mean_bytes,
        total.ok,
        total.answered,
        total.errors
    );
    println!(
        "images_per_s={:.1} p50_ms={:.1} p90_ms={:.1} p99_ms={:.1} max_ms={:.1} mean_batch={:.2} mean_queue_ms={:.1}",
        total.ok as f64 / seconds,
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(1.0),
        per(total.batch_sum),
        per(total.queue_us_sum) / 1000.0
    );
    ExitCode::SUCCESS
}
