//! The frozen ImageNet backbone (EfficientNet-Lite0, or Lite1/Lite2 when setup
//! exports them, in ONNX) run through ONNX Runtime. It maps a batch of
//! preprocessed images to 1280-d deep features and 1000 ImageNet logits; the
//! input side (224, 240 or 260) is read from the model. ONNX Runtime is loaded
//! dynamically from the library that `scripts/setup.sh` extracts from the PyPI wheel.

use crate::error::{Result, VisionError};
use crate::preprocess::{INPUT_SIDE, input_len};
use ort::session::Session;
use ort::value::TensorRef;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Length of the feature vector.
pub const FEATURE_DIM: usize = 1280;
/// Number of ImageNet classes in `logits`.
pub const IMAGENET_CLASSES: usize = 1000;

/// Where to find the runtime and the model, and how many threads to use.
#[derive(Debug, Clone)]
pub struct BackboneConfig {
    /// The ONNX model file (`efficientnet-lite0.onnx`).
    pub model_path: PathBuf,
    /// `libonnxruntime.so`; `None` means [`default_runtime_path`].
    pub runtime_path: Option<PathBuf>,
    /// ONNX Runtime intra-op threads.
    pub intra_threads: usize,
}

impl BackboneConfig {
    /// Model from `FILLROUTE_BACKBONE` (else the setup's cache path), runtime
    /// from `ORT_DYLIB_PATH`, and the given thread count.
    pub fn from_env(intra_threads: usize) -> Self {
        let model_path = std::env::var_os("FILLROUTE_BACKBONE")
            .map(PathBuf::from)
            .unwrap_or_else(|| default_cache_dir().join("model/efficientnet-lite0.onnx"));
        Self {
            model_path,
            runtime_path: None,
            intra_threads: intra_threads.max(1),
        }
    }
}

/// `$FILLROUTE_CACHE`, else `~/.cache/fillroute`: where setup puts its files.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FILLROUTE_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/fillroute")
}

/// `ORT_DYLIB_PATH`, else where `scripts/setup.sh` puts the library.
pub fn default_runtime_path() -> PathBuf {
    std::env::var_os("ORT_DYLIB_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_cache_dir().join("ort/libonnxruntime.so.1.31.1"))
}

/// Loaded backbone: an ONNX Runtime session plus the model's identity.
pub struct Backbone {
    session: Session,
    sha256: String,
    path: PathBuf,
    side: u32,
}

/// Features and logits of a batch, row-major.
#[derive(Debug, Clone)]
pub struct BackboneOutput {
    /// `n × FEATURE_DIM`.
    pub features: Vec<f32>,
    /// `n × IMAGENET_CLASSES`.
    pub logits: Vec<f32>,
}

fn environment(runtime: &Path) -> Result<&'static ort::environment::Environment> {
    // A missing file is reported without touching the process-wide runtime,
    // which ONNX Runtime lets us load only once.
    if !runtime.is_file() {
        return Err(VisionError::RuntimeMissing {
            path: runtime.to_path_buf(),
            reason: "file not found".into(),
        });
    }
    static ENV: OnceLock<std::result::Result<ort::environment::Environment, String>> =
        OnceLock::new();
    let env = ENV.get_or_init(|| {
        let builder = ort::init_from(runtime).map_err(|e| e.to_string())?;
        builder
            .with_name("fillroute")
            .build()
            .map_err(|e| e.to_string())
    });
    env.as_ref().map_err(|reason| VisionError::RuntimeMissing {
        path: runtime.to_path_buf(),
        reason: reason.clone(),
    })
}

impl Backbone {
    /// Loads ONNX Runtime (once per process) and the model.
    pub fn load(config: &BackboneConfig) -> Result<Self> {
        let runtime = config
            .runtime_path
            .clone()
            .unwrap_or_else(default_runtime_path);
        let env = environment(&runtime)?;
        let bytes = std::fs::read(&config.model_path).map_err(|e| VisionError::ModelMissing {
            path: config.model_path.clone(),
            reason: e.to_string(),
        })?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let model_err = |e: ort::Error| VisionError::ModelMissing {
            path: config.model_path.clone(),
            reason: e.to_string(),
        };
        let session = Session::builder(env)
            .map_err(model_err)?
            .with_intra_threads(config.intra_threads)
            .map_err(|e| model_err(e.into()))?
            // Spinning threads burn the cores that decoding and other
            // services need; batches are long enough that waking is cheap.
            .with_intra_op_spinning(false)
            .map_err(|e| model_err(e.into()))?
            .commit_from_memory(&bytes)
            .map_err(model_err)?;
        let names: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        if !names.contains(&"features") || !names.contains(&"logits") {
            return Err(VisionError::ModelMissing {
                path: config.model_path.clone(),
                reason: format!("outputs are {names:?}, expected `features` and `logits`"),
            });
        }
        // `[N, 3, S, S]`: a fixed S tells the preprocessing what to produce.
        let side = session
            .inputs()
            .first()
            .and_then(|i| match i.dtype() {
                ort::value::ValueType::Tensor { shape, .. } => shape.get(3).copied(),
                _ => None,
            })
            .filter(|&s| s > 0)
            .map_or(INPUT_SIDE, |s| s as u32);
        Ok(Self {
            session,
            sha256,
            path: config.model_path.clone(),
            side,
        })
    }

    /// sha256 of the ONNX file: the backbone's identity in artifacts and caches.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Side of the square input the model expects (224 for Lite0).
    pub fn input_side(&self) -> u32 {
        self.side
    }

    /// Floats per preprocessed image for this model.
    pub fn input_len(&self) -> usize {
        input_len(self.side)
    }

    /// The model file this backbone was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs a batch of `n` preprocessed images (`n × input_len()` floats).
    pub fn run(&mut self, input: &[f32]) -> Result<BackboneOutput> {
        let len = self.input_len();
        let n = input.len() / len;
        if n == 0 || !input.len().is_multiple_of(len) {
            return Err(VisionError::Inference(format!(
                "input holds {} floats, not a whole number of {len}-float images ({}x{} model)",
                input.len(),
                self.side,
                self.side
            )));
        }
        let side = self.side as usize;
        let shape = [n, 3, side, side];
        let tensor = TensorRef::from_array_view((shape, input))
            .map_err(|e| VisionError::Inference(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => tensor])
            .map_err(|e| VisionError::Inference(e.to_string()))?;
        let take = |name: &str, width: usize| -> Result<Vec<f32>> {
            let (_, data) = outputs[name]
                .try_extract_tensor::<f32>()
                .map_err(|e| VisionError::Inference(e.to_string()))?;
            if data.len() != n * width {
                return Err(VisionError::Inference(format!(
                    "{name} has {} values, expected {}",
                    data.len(),
                    n * width
                )));
            }
            Ok(data.to_vec())
        };
        Ok(BackboneOutput {
            features: take("features", FEATURE_DIM)?,
            logits: take("logits", IMAGENET_CLASSES)?,
        })
    }
}
