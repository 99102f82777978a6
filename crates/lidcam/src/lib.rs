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
//!
//! ```no_run
//! use fillroute_lidcam::{FillClasses, FillFraction, Scene, render, render_dataset};
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let scene = Scene::random(FillFraction::new(0.5)?, &mut rng);
//! render(&scene).save("half-full.png")?;
//!
//! let classes = FillClasses::default();
//! let summary = render_dataset("data/lidcam".as_ref(), 500, 42, &classes, |done, total| {
//!     eprint!("\r{done}/{total}");
//! })?;
//! println!("wrote {} images", summary.images);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod classes;
mod dataset;
mod error;
mod items;
mod raster;
mod render;
mod scene;
mod sensor;

pub use classes::{CLASS_MIDPOINTS, CLASS_NAMES, ClassRange, FillClasses, class_for_fill};
pub use dataset::{DatasetSummary, dataset_scene, render_dataset};
pub use error::LidcamError;
pub use render::{IMAGE_SIZE, RenderTimings, render, render_jpeg, render_jpeg_timed};
pub use scene::{CameraFault, ContainerShape, ContainerStyle, FillFraction, Scene};
