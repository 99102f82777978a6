//! Behaviour of the dataset writer: folder layout, counts, and output that
//! does not depend on how many threads rendered it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use fillroute_lidcam::{ClassRange, FillClasses, render_dataset};

fn three_classes() -> FillClasses {
    let c = |name: &str, min, max| ClassRange {
        name: name.into(),
        min,
        max,
    };
    FillClasses::new(vec![
        c("low", 0.0, 0.4),
        c("high", 0.4, 1.0),
        c("spilling", 1.0, 1.3),
    ])
    .expect("valid table")
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

#[test]
fn dataset_writer_makes_one_folder_per_class_with_the_requested_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let calls = AtomicUsize::new(0);
    let last_total = AtomicUsize::new(0);
    let summary = render_dataset(dir.path(), 2, 9, &three_classes(), |_, total| {
        calls.fetch_add(1, Ordering::Relaxed);
        last_total.store(total, Ordering::Relaxed);
    })
    .expect("writes");

    assert_eq!(summary.images, 6);
    assert_eq!(
        summary.per_class,
        vec![
            ("low".into(), 2),
            ("high".into(), 2),
            ("spilling".into(), 2)
        ]
    );
    assert_eq!(calls.load(Ordering::Relaxed), 6);
    assert_eq!(last_total.load(Ordering::Relaxed), 6);
    for class in ["low", "high", "spilling"] {
        let jpegs: Vec<_> = fs::read_dir(dir.path().join(class))
            .expect("class folder exists")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
            .collect();
        assert_eq!(jpegs.len(), 2, "class {class}");
        for jpeg in jpegs {
            let img = image::open(&jpeg).expect("a readable JPEG");
            assert_eq!(img.width(), fillroute_lidcam::IMAGE_SIZE);
        }
    }
    let manifest = fs::read_to_string(dir.path().join("manifest.csv")).expect("manifest");
    assert_eq!(manifest.lines().count(), 7, "header plus one row per image");
    let bytes: u64 = snapshot(dir.path())
        .iter()
        .filter(|(k, _)| k.ends_with(".jpg"))
        .map(|(_, v)| v.len() as u64)
        .sum();
    assert_eq!(summary.bytes, bytes);
}

#[test]
fn dataset_bytes_do_not_depend_on_thread_count() {
    let write_with = |threads: usize| {
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| render_dataset(dir.path(), 2, 77, &three_classes(), |_, _| {}))
            .expect("writes");
        snapshot(dir.path())
    };
    let one = write_with(1);
    let three = write_with(3);
    assert_eq!(one.len(), 7);
    assert!(one == three, "files differ between 1 and 3 threads");
}
