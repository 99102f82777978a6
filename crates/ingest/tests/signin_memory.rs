//! Signing a device in must not cost memory that stays (issue 18: with
//! argon2 every first sign-in kept about 18 MB, so 10,000 cameras
//! reconnecting after an outage would have needed 180 GB). The ingest
//! service runs in this test's process, so the process's resident set is the
//! service's; its own test binary keeps other tests' memory out of it.
//!
//! `FILLROUTE_SIGNIN_DEVICES=10000` runs the full target (the default
//! is 1,000: enough that a leak of 0.15 MB per device, a hundredth of the old
//! one, fails).
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use fillroute_proto::ingest::v1 as pb;
use futures::StreamExt;
use support::{Camera, Stack, admin, bin_request};

/// The target: within 100 MB of idle, whatever the number of devices.
const LIMIT_MB: f64 = 100.0;
/// Sign-ins in flight at once, like a fleet reconnecting after an outage.
const IN_FLIGHT: usize = 32;

/// Resident set of this process, MB (`VmRSS` in /proc/self/status).
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kb / 1024.0
}

async fn sign_in(stack: &Stack, cams: &[Camera]) {
    let client = stack.client().await;
    futures::stream::iter(cams)
        .for_each_concurrent(IN_FLIGHT, |cam| {
            let mut client = client.clone();
            async move {
                client
                    .heartbeat(cam.req(pb::HeartbeatRequest::default()))
                    .await
                    .unwrap();
            }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_flat_while_many_devices_sign_in_once_each() {
    let devices: usize = std::env::var("FILLROUTE_SIGNIN_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let stack = Stack::start().await;
    let client = stack.client().await;
    let bin = client
        .clone()
        .register_bin(admin(bin_request(4.9, 52.37)))
        .await
        .unwrap()
        .into_inner()
        .bin_id;
    let cams: Vec<Camera> = futures::stream::iter(0..devices)
        .map(|_| {
            let mut client = client.clone();
            async move {
                let d = client
                    .register_device(admin(pb::RegisterDeviceRequest {
                        bin_id: bin,
                        ..Default::default()
                    }))
                    .await
                    .unwrap()
                    .into_inner();
                Camera {
                    bin,
                    device_id: d.device_id,
                    token: d.token,
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // A few sign-ins first, so connections, pools and buffers exist.
    let warm = 20.min(devices);
    sign_in(&stack, &cams[..warm]).await;
    let idle = rss_mb();
    let mut peak = idle;
    let mut signed_in = warm;
    for batch in cams[warm..].chunks(100) {
        sign_in(&stack, batch).await;
        signed_in += batch.len();
        peak = peak.max(rss_mb());
        // A leak like the old one would take the machine down long before
        // the last device: stop as soon as the answer is clear.
        if peak - idle > 10.0 * LIMIT_MB {
            break;
        }
    }
    let after = rss_mb();
    let grown = peak - idle;
    println!(
        "sign-in memory: {signed_in} of {devices} devices signed in once each ({IN_FLIGHT} in flight); \
         RSS idle {idle:.0} MB, peak {peak:.0} MB, after {after:.0} MB; \
         growth {grown:.1} MB = {:.1} KB per device",
        grown * 1024.0 / (signed_in - warm).max(1) as f64
    );
    assert!(
        grown <= LIMIT_MB,
        "RSS grew {grown:.0} MB (idle {idle:.0}, peak {peak:.0}) over {} sign-ins; limit {LIMIT_MB} MB",
        signed_in - warm
    );
    stack.cleanup().await;
}
