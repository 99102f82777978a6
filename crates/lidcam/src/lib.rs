//! Synthetic photographs from the camera in a waste container's lid.
//!
//! No public data set of in-bin camera images exists, yet the fill-level
//! classifier needs thousands of labelled ones and scenario replay needs a
//! "photo" of every simulated bin every day. This crate renders them: a
//! pinhole camera looks down into a rectangular or round container whose
//! walls converge towards the floor, a heap of bags, boxes, bottles, cans,
//! paper and specks rises with the fill (so items grow larger and cover more
//! of the walls, and past full spill over the rim), and a simulated sensor
//! adds pose jitter, defocus, noise and JPEG artefacts, or a blocked or dark
//! lens on request. Everything is seeded: a [`Scene`] always renders to the
//! same bytes, and [`render_dataset`] writes the same files whatever the
//! number of threads, so experiments and tests are reproducible.
#![forbid(unsafe_code)]

mod classes;
mod dataset;
mod error;
mod items;
mod raster;
mod render;
mod scene;
mod sensor;

pub use classes::{CLASS_MIDPOINTS, CLASS_NAMES, FillClass, FillClasses, class_for_fill};
pub use dataset::{DatasetSummary, dataset_scene, render_dataset};
pub use error::LidcamError;
pub use render::{IMAGE_SIZE, render, render_jpeg};
pub use scene::{CameraFault, ContainerShape, ContainerStyle, FillFraction, Scene};
