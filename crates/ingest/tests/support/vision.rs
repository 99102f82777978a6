//! The real vision service for pipeline tests: a classifier trained once per
//! test binary on the real backbone's features of generated images (as the
//! vision-server tests do), served on port 0.
#![allow(dead_code, clippy::unwrap_used)]

use fillroute_vision::backbone::{Backbone, BackboneConfig};
use fillroute_vision::classifier::{DEFAULT_FILL_MIDPOINTS, TrainingData, TrainingSummary};
use fillroute_vision::extract::prepare_batch;
use fillroute_vision::{Classifier, DEFAULT_FILL_CLASSES, DecodeLimits, FEATURE_DIM};
use fillroute_vision_server::ServerConfig;
use fillroute_vision_server::synthetic::{fill_frame, png};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

fn classifier() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("ingest-vision-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let classes: Vec<String> = DEFAULT_FILL_CLASSES.map(String::from).to_vec();
        let mut backbone = Backbone::load(&BackboneConfig::from_env(2))
            .expect("backbone loads: run scripts/setup.sh and source ~/.cache/fillroute/env.sh");
        let (mut tx, mut ty) = (Vec::new(), Vec::new());
        for (class, &fill) in DEFAULT_FILL_MIDPOINTS.iter().enumerate() {
            let payloads: Vec<Vec<u8>> = (0..4)
                .map(|i| png(&fill_frame(fill.min(1.0), (class * 100 + i) as u64, 96)))
                .collect();
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let (tensor, _) = prepare_batch(&refs, &DecodeLimits::default());
            let out = backbone.run(&tensor).unwrap();
            for row in out.features.chunks(FEATURE_DIM) {
                tx.push(row.to_vec());
                ty.push(class);
            }
        }
        let data = TrainingData {
            classes: &classes,
            midpoints: Some(DEFAULT_FILL_MIDPOINTS.to_vec()),
            train: (&tx, &ty),
            test: (&[], &[]),
        };
        let model =
            Classifier::train(&data, backbone.sha256(), TrainingSummary::default()).unwrap();
        let path = dir.join("classifier.json");
        model.save(&path).unwrap();
        path
    })
}

/// The vision service shared by a test binary.
pub fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let config = ServerConfig::new(classifier());
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
                fillroute_vision_server::run(listener, config, std::future::pending())
                    .await
                    .unwrap();
            });
        });
        rx.recv_timeout(Duration::from_secs(120)).unwrap()
    })
}

/// `http://addr` of the shared vision service.
pub fn url() -> String {
    format!("http://{}", server())
}
