//! Reads bin-camera images with transfer learning. A frozen ImageNet CNN
//! (EfficientNet-Lite0 through ONNX Runtime) turns each image into a 1280-d
//! feature vector; a linear classifier trained on a few hundred labels reads
//! the fill level from it, because the network's general layers already
//! encode edges, textures and object parts. The same features find similar
//! images and notice a blocked or moved camera. This crate knows nothing of
//! gRPC or storage: the service and the CLI call it.

pub mod backbone;
pub mod cache;
pub mod calibration;
pub mod classifier;
pub mod curve;
pub mod dataset;
pub mod decode;
pub mod error;
pub mod extract;
pub mod health;
pub mod imagenet;
pub mod metrics;
pub mod pixels;
pub mod preprocess;
pub mod reader;
pub mod similar;
pub mod training;

pub use backbone::{Backbone, BackboneConfig, FEATURE_DIM};
pub use classifier::{Classifier, DEFAULT_FILL_CLASSES, Prediction};
pub use decode::DecodeLimits;
pub use error::{Result, VisionError};
pub use reader::{FillReader, Reading};
