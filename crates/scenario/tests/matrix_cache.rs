//! The travel matrix is computed once per city and read back from disk:
//! a second build of the same city gets the same matrix from the cache, and
//! another city, other points or a damaged file never give a wrong one.

use fillroute_scenario::{MatrixCache, Scenario, World};

fn small(bins: usize) -> Scenario {
    let mut s = Scenario::default_small();
    s.bins.count = bins;
    s.validate().expect("trimmed small scenario is valid");
    s
}

fn cached_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn a_second_build_of_the_same_city_reads_the_same_matrix_from_the_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = MatrixCache::Dir(dir.path().to_path_buf());
    let s = small(30);
    let first = World::build_with(&s, &cache).expect("city builds");
    assert_eq!(first.build.matrix_cached, None, "an empty cache computes");
    assert_eq!(cached_files(dir.path()).len(), 1, "and keeps the matrix");
    let second = World::build_with(&s, &cache).expect("city builds again");
    assert!(second.build.matrix_cached.is_some(), "read back");
    assert_eq!(first.distance_m, second.distance_m);
    assert_eq!(first.duration_s, second.duration_s);
    let uncached = World::build_with(&s, &MatrixCache::Off).expect("city builds");
    assert_eq!(uncached.distance_m, second.distance_m);
    assert_eq!(uncached.duration_s, second.duration_s);
}

#[test]
fn other_points_or_another_network_are_another_cache_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = MatrixCache::Dir(dir.path().to_path_buf());
    World::build_with(&small(30), &cache).expect("city builds");
    let more = World::build_with(&small(31), &cache).expect("city builds");
    assert_eq!(
        more.build.matrix_cached, None,
        "one more bin is another key"
    );
    let mut other_seed = small(30);
    other_seed.run.seed += 1; // another grid city and other bin positions
    let other = World::build_with(&other_seed, &cache).expect("city builds");
    assert_eq!(other.build.matrix_cached, None);
    assert_eq!(cached_files(dir.path()).len(), 3);
}

#[test]
fn a_damaged_cache_file_is_recomputed_not_trusted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = MatrixCache::Dir(dir.path().to_path_buf());
    let s = small(20);
    let good = World::build_with(&s, &cache).expect("city builds");
    let files = cached_files(dir.path());
    let bytes = std::fs::read(&files[0]).expect("cache file");
    std::fs::write(&files[0], &bytes[..bytes.len() - 4]).expect("truncate");
    let again = World::build_with(&s, &cache).expect("city builds");
    assert_eq!(again.build.matrix_cached, None, "a short file is not used");
    assert_eq!(again.distance_m, good.distance_m);
    let restored = World::build_with(&s, &cache).expect("city builds");
    assert!(
        restored.build.matrix_cached.is_some(),
        "and is rewritten whole"
    );
}
