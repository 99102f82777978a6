//! Writing a labelled training set: one sub-folder of JPEGs per class.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::classes::FillClasses;
use crate::error::LidcamError;
use crate::render::render_jpeg;
use crate::scene::{FillFraction, Scene};

/// What [`render_dataset`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetSummary {
    /// The dataset folder.
    pub root: PathBuf,
    /// Images written per class, in class order.
    pub per_class: Vec<(String, usize)>,
    /// Images written in all.
    pub images: usize,
    /// Bytes of JPEG written in all.
    pub bytes: u64,
}

/// The scene of image `index` of a dataset: its random stream depends only
/// on `(seed, index)`, never on which thread renders it.
pub fn dataset_scene(seed: u64, index: u64, classes: &FillClasses, class: usize) -> Scene {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let c = &classes.classes()[class.min(classes.len() - 1)];
    let fill = FillFraction::saturating(rng.random_range(c.min..c.max));
    Scene::random(fill, &mut rng)
}

/// Renders `n_per_class` images for every class into `dir/<class>/<class>_NNNNN.jpg`
/// in parallel, plus `dir/manifest.csv` (file, class, fill, seed). Fills are
/// uniform within each class's range. The bytes written depend only on the
/// arguments, not on the number of threads. `on_progress(done, total)` is
/// called after every image, from worker threads.
pub fn render_dataset(
    dir: &Path,
    n_per_class: usize,
    seed: u64,
    classes: &FillClasses,
    on_progress: impl Fn(usize, usize) + Sync,
) -> Result<DatasetSummary, LidcamError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LidcamError::Io { path, source }
    };
    for class in classes.classes() {
        let sub = dir.join(&class.name);
        fs::create_dir_all(&sub).map_err(io(&sub))?;
    }
    let total = n_per_class * classes.len();
    let done = AtomicUsize::new(0);
    let rows: Vec<(String, u64)> = (0..total)
        .into_par_iter()
        .map(|index| {
            let (class, k) = (index / n_per_class, index % n_per_class);
            let scene = dataset_scene(seed, index as u64, classes, class);
            let name = &classes.classes()[class].name;
            let file = format!("{name}/{name}_{k:05}.jpg");
            let bytes = render_jpeg(&scene)?;
            let path = dir.join(&file);
            fs::write(&path, &bytes).map_err(io(&path))?;
            on_progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok((
                format!("{file},{name},{:.4},{}\n", scene.fill.get(), scene.seed),
                bytes.len() as u64,
            ))
        })
        .collect::<Result<_, LidcamError>>()?;

    let mut manifest = String::from("file,class,fill,seed\n");
    rows.iter().for_each(|(row, _)| manifest.push_str(row));
    let manifest_path = dir.join("manifest.csv");
    fs::write(&manifest_path, manifest).map_err(io(&manifest_path))?;
    Ok(DatasetSummary {
        root: dir.to_path_buf(),
        per_class: classes
            .classes()
            .iter()
            .map(|c| (c.name.clone(), n_per_class))
            .collect(),
        images: total,
        bytes: rows.iter().map(|(_, b)| b).sum(),
    })
}
