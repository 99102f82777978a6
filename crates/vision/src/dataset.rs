//! Labelled image folders (one sub-folder per class) and the seeded,
//! stratified train / test split used by training, evaluation
//! and learning curves.

use crate::classifier::DEFAULT_FILL_CLASSES;
use crate::error::{Result, VisionError};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};

/// A folder of labelled images.
#[derive(Debug, Clone)]
pub struct LabelledSet {
    /// The folder.
    pub root: PathBuf,
    /// Class names (sub-folder names) in label order.
    pub classes: Vec<String>,
    /// `(image path, class index)`, sorted by path.
    pub items: Vec<(PathBuf, usize)>,
}

const EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "JPG"];

impl LabelledSet {
    /// Reads `root/<class>/*.{jpg,png,webp}`. Classes are the default fill
    /// levels, in fill order, when the folders are exactly those; otherwise
    /// the sub-folder names in alphabetical order.
    pub fn open(root: &Path) -> Result<Self> {
        let bad = |reason: String| VisionError::Dataset {
            path: root.to_path_buf(),
            reason,
        };
        let entries = std::fs::read_dir(root)
            .map_err(|e| bad(format!("{e}: pass a folder with one sub-folder per class")))?;
        let mut classes: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .collect();
        classes.sort();
        let mut fill_order: Vec<String> = DEFAULT_FILL_CLASSES.map(String::from).to_vec();
        fill_order.sort();
        if classes == fill_order {
            classes = DEFAULT_FILL_CLASSES.map(String::from).to_vec();
        }
        if classes.len() < 2 {
            return Err(bad(format!(
                "found {} class sub-folder(s); need at least 2",
                classes.len()
            )));
        }
        let mut items = Vec::new();
        for (label, class) in classes.iter().enumerate() {
            let dir = root.join(class);
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| VisionError::io(&dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| EXTENSIONS.contains(&x))
                })
                .collect();
            if files.is_empty() {
                return Err(bad(format!(
                    "class folder `{class}` holds no .jpg, .png or .webp images"
                )));
            }
            files.sort();
            items.extend(files.into_iter().map(|f| (f, label)));
        }
        Ok(Self {
            root: root.to_path_buf(),
            classes,
            items,
        })
    }

    /// Whether the classes are the default ordered fill levels.
    pub fn is_fill_levels(&self) -> bool {
        self.classes
            .iter()
            .map(String::as_str)
            .eq(DEFAULT_FILL_CLASSES)
    }

    /// Seeded stratified split: per class, `test_fraction` goes to test and
    /// the rest is the training pool, of which the first `labels_per_class`
    /// (if set) are used. The test set does
    /// not depend on `labels_per_class`, so learning-curve points compare.
    pub fn split(&self, seed: u64, test_fraction: f64, labels_per_class: Option<usize>) -> Split {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut split = Split::default();
        for class in 0..self.classes.len() {
            let mut idx: Vec<usize> = (0..self.items.len())
                .filter(|&i| self.items[i].1 == class)
                .collect();
            idx.shuffle(&mut rng);
            let n = idx.len();
            let n_test = ((n as f64 * test_fraction).round() as usize).min(n.saturating_sub(1));
            split.test.extend_from_slice(&idx[..n_test]);
            let pool = &idx[n_test..];
            let take = labels_per_class.map_or(pool.len(), |k| k.min(pool.len()));
            split.train.extend_from_slice(&pool[..take]);
        }
        split
    }
}

/// Item indices per split.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    /// Fitted on (hyper-parameters by cross-validation inside it).
    pub train: Vec<usize>,
    /// Scored once.
    pub test: Vec<usize>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fake_set(per_class: usize) -> LabelledSet {
        let mut items = Vec::new();
        for c in 0..3 {
            for i in 0..per_class {
                items.push((PathBuf::from(format!("{c}/{i}.jpg")), c));
            }
        }
        LabelledSet {
            root: PathBuf::new(),
            classes: vec!["a".into(), "b".into(), "c".into()],
            items,
        }
    }

    #[test]
    fn split_is_stratified_disjoint_and_seeded() {
        let set = fake_set(20);
        let s = set.split(7, 0.3, None);
        assert_eq!(s, set.split(7, 0.3, None));
        assert_ne!(s, set.split(8, 0.3, None));
        assert_eq!((s.train.len(), s.test.len()), (42, 18));
        let mut all: Vec<usize> = s.train.iter().chain(&s.test).copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 60);
    }

    #[test]
    fn test_split_does_not_depend_on_labels_per_class() {
        let set = fake_set(20);
        assert_eq!(
            set.split(1, 0.3, Some(2)).test,
            set.split(1, 0.3, None).test
        );
        assert_eq!(set.split(1, 0.3, Some(2)).train.len(), 6);
    }

    #[test]
    fn refuses_a_folder_without_classes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = LabelledSet::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("need at least 2"), "{err}");
    }
}
