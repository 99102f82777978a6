//! Test plumbing: a classifier fitted once per test binary on features the
//! real backbone extracts from generated images, servers started on port 0,
//! and hand-made bad images.
#![allow(dead_code, clippy::unwrap_used)]

use fillroute_proto::vision::v1::vision_service_client::VisionServiceClient;
use fillroute_vision::backbone::{Backbone, BackboneConfig};
use fillroute_vision::classifier::{ARTIFACT_FORMAT, DEFAULT_FILL_MIDPOINTS};
use fillroute_vision::extract::prepare_batch;
use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, DecodeLimits, FEATURE_DIM};
use fillroute_vision_server::synthetic::{fill_frame, jpeg, png};
use fillroute_vision_server::{ServerConfig, ServerError, run};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tonic::transport::Channel;

/// Files shared by every test in the binary.
pub struct Fixture {
    /// Classifier trained on the real backbone's features.
    pub classifier: PathBuf,
    /// A folder of indexed images.
    pub index_dir: PathBuf,
    /// One image per fill class, in class order.
    pub images: Vec<Vec<u8>>,
}

/// Byte limit of the shared server's images: small, so "oversized" is cheap to send.
pub const MAX_IMAGE_BYTES: usize = 1 << 20;

/// Fits the classifier once (features from the real backbone).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // One folder, rewritten by each run, so runs do not pile up files.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vision-server-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        let index_dir = dir.join("index");
        std::fs::create_dir_all(&index_dir).unwrap();
        let per_class = 4;
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        let mut backbone = Backbone::load(&BackboneConfig::from_env(2))
            .expect("backbone loads: run scripts/setup.sh and source ~/.cache/fillroute/env.sh");
        for (class, &fill) in DEFAULT_FILL_MIDPOINTS.iter().enumerate() {
            let payloads: Vec<Vec<u8>> = (0..per_class)
                .map(|i| png(&fill_frame(fill.min(1.0), (class * 100 + i) as u64, 96)))
                .collect();
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let (tensor, _) = prepare_batch(&refs, &DecodeLimits::default());
            let out = backbone.run(&tensor).unwrap();
            for row in out.features.chunks(FEATURE_DIM) {
                rows.push(row.to_vec());
                labels.push(class);
            }
        }
        let model = centroid_classifier(&rows, &labels, backbone.sha256());
        let classifier = dir.join("classifier.json");
        model.save(&classifier).unwrap();
        let images: Vec<Vec<u8>> = DEFAULT_FILL_MIDPOINTS
            .iter()
            .enumerate()
            .map(|(c, &f)| jpeg(&fill_frame(f.min(1.0), 9000 + c as u64, 120)))
            .collect();
        for (i, bytes) in images.iter().enumerate() {
            std::fs::write(index_dir.join(format!("bin-{i}.jpg")), bytes).unwrap();
        }
        Fixture {
            classifier,
            index_dir,
            images,
        }
    })
}

/// A nearest-class-mean linear classifier on standardised features, fitted in
/// closed form. The tests need a real artifact for the real backbone, not an
/// accurate one; building it field by field keeps them independent of how
/// the library's trainer picks its penalty.
fn centroid_classifier(rows: &[Vec<f32>], labels: &[usize], backbone_sha256: &str) -> Classifier {
    let k = DEFAULT_FILL_CLASSES.len();
    let n = rows.len() as f32;
    let mean: Vec<f32> = (0..FEATURE_DIM)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / n)
        .collect();
    let scale: Vec<f32> = (0..FEATURE_DIM)
        .map(|j| {
            (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f32>() / n)
                .sqrt()
                .max(1e-6)
        })
        .collect();
    let mut weights = vec![0f32; k * FEATURE_DIM];
    let mut counts = vec![0f32; k];
    for (row, &c) in rows.iter().zip(labels) {
        counts[c] += 1.0;
        for j in 0..FEATURE_DIM {
            weights[c * FEATURE_DIM + j] += (row[j] - mean[j]) / scale[j];
        }
    }
    // Centroids, scaled down so the softmax is not saturated.
    let temper = 1.0 / FEATURE_DIM as f32;
    for c in 0..k {
        weights[c * FEATURE_DIM..(c + 1) * FEATURE_DIM]
            .iter_mut()
            .for_each(|w| *w *= temper / counts[c].max(1.0));
    }
    let intercept: Vec<f32> = (0..k)
        .map(|c| {
            -0.5 * weights[c * FEATURE_DIM..(c + 1) * FEATURE_DIM]
                .iter()
                .map(|w| w * w)
                .sum::<f32>()
                / temper
        })
        .collect();
    Classifier {
        format: ARTIFACT_FORMAT,
        version: "centroid-test-1".into(),
        classes: DEFAULT_FILL_CLASSES.map(String::from).to_vec(),
        midpoints: Some(DEFAULT_FILL_MIDPOINTS.to_vec()),
        backbone_sha256: backbone_sha256.into(),
        mean,
        scale,
        weights,
        intercept,
        l2: 0.0,
        training: Default::default(),
        metrics: Default::default(),
    }
}

/// The shared server's settings: small image limit, similarity index on.
pub fn config() -> ServerConfig {
    let f = fixture();
    let mut config = ServerConfig::new(&f.classifier);
    config.similarity_index = Some(f.index_dir.clone());
    config.decode_limits.max_bytes = MAX_IMAGE_BYTES;
    config.max_message_bytes = 2 * MAX_IMAGE_BYTES;
    config
}

/// Starts a server on port 0 on its own thread and runtime (so it outlives
/// any one test's runtime) and returns its address once it is accepting.
pub fn spawn_server(config: ServerConfig) -> SocketAddr {
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
            if let Err(e) = run(listener, config, std::future::pending()).await {
                panic!("test server failed: {e}");
            }
        });
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("server bound a port")
}

/// The one server most tests share.
pub fn shared_server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| spawn_server(config()))
}

/// A channel to `addr` (waits for model loading to finish).
pub async fn channel(addr: SocketAddr) -> Channel {
    let endpoint = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(60));
    endpoint.connect().await.expect("connects")
}

/// A vision client for `addr`.
pub async fn client(addr: SocketAddr) -> VisionServiceClient<Channel> {
    VisionServiceClient::new(channel(addr).await).max_decoding_message_size(8 << 20)
}

/// Runs `run` to its error with `config` (for start-up failures).
pub async fn start_error(config: ServerConfig) -> ServerError {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    run(listener, config, std::future::pending())
        .await
        .expect_err("start-up must fail")
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// A 60-byte PNG whose valid IHDR (correct CRC) declares `width`×`height` RGB pixels.
pub fn pixel_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // A tiny zlib stream: the decoder would inflate it to gigabytes if allowed.
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// Minimal BMP bytes (a format we do not accept).
pub fn bmp() -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&[
        0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24,
        0,
    ]);
    b.resize(58, 0);
    b
}

/// The first bytes of a GIF.
pub fn gif() -> Vec<u8> {
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec()
}

/// Calls `ClassifyFill` over a bare HTTP/2 stream with a `grpc-timeout`
/// header and returns `(grpc-status, grpc-message)`. Only the server enforces
/// the deadline here; tonic's client would enforce it too and win the race.
pub async fn raw_classify(addr: SocketAddr, image: Vec<u8>, grpc_timeout: &str) -> (u32, String) {
    use prost::Message;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut h2 = h2.ready().await.unwrap();
    let request = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{addr}/fillroute.vision.v1.VisionService/ClassifyFill"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", grpc_timeout)
        .body(())
        .unwrap();
    let (response, mut send) = h2.send_request(request, false).unwrap();
    let message = fillroute_proto::vision::v1::ClassifyFillRequest {
        image,
        request_id: "raw".into(),
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    send.send_data(frame.into(), true).unwrap();
    let response = response.await.unwrap();
    let (parts, mut body) = response.into_parts();
    let mut headers = parts.headers;
    if !headers.contains_key("grpc-status") {
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        headers = body.trailers().await.unwrap().unwrap_or_default();
    }
    let status = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(u32::MAX);
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    (status, percent_decode(message))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(&s[i + 1..i + 3], 16).ok())
            .flatten();
        if let Some(v) = escaped {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
