//! Times a 1000 x 1000 matrix on a ~100k-node grid city and on Andorra, and
//! compares the per-source search with petgraph::algo::dijkstra in the same run.
//!
//! CARGO_TARGET_DIR=/work/target-roads cargo run --release -p fillroute-roads --example bench_matrix

use std::path::PathBuf;
use std::time::Instant;

use fillroute_roads::{GridCity, NodeId, RoadNetwork};
use petgraph::graph::NodeIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const POINTS: usize = 1_000;
const PETGRAPH_SAMPLE: usize = 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("rayon threads: {}", rayon::current_num_threads());
    let t = Instant::now();
    let grid = GridCity {
        blocks_x: 315,
        blocks_y: 315,
        one_way_share: 0.3,
        seed: 1,
        ..GridCity::default()
    }
    .build()?;
    println!(
        "grid city 315x315 blocks built in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    bench("grid city", &grid)?;

    let andorra = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/osm/andorra.osm.pbf");
    if andorra.exists() {
        let t = Instant::now();
        let net = RoadNetwork::from_osm_pbf(&andorra)?;
        println!(
            "andorra.osm.pbf loaded in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        bench("andorra", &net)?;
    } else {
        println!("NOTICE: {} absent, skipped", andorra.display());
    }
    Ok(())
}

/// User+system CPU seconds of this process (Linux), so a busy shared machine
/// inflates wall time but not this.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ")".
    let ticks: f64 = f
        .get(11..13)
        .map(|v| v.iter().filter_map(|x| x.parse::<f64>().ok()).sum())
        .unwrap_or(f64::NAN);
    ticks / 100.0
}

/// Runs `f`, returning its result, wall seconds and CPU seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (t, c) = (Instant::now(), cpu_s());
    let r = f();
    (r, t.elapsed().as_secs_f64(), cpu_s() - c)
}

fn bench(name: &str, net: &RoadNetwork) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "\n== {name}: {} nodes, {} edges, version {}",
        net.node_count(),
        net.edge_count(),
        net.version()
    );
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let ids: Vec<NodeId> = net.node_ids().collect();
    let pts: Vec<NodeId> = (0..POINTS)
        .map(|_| ids[rng.random_range(0..ids.len())])
        .collect();

    let (m, full, full_cpu) = timed(|| net.matrix(&pts, &pts));
    let m = m?;
    println!("matrix {POINTS}x{POINTS}, all threads: wall {full:.3} s, cpu {full_cpu:.2} s");

    let sample = &pts[..PETGRAPH_SAMPLE];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let (ms, ours_wall, ours_1t) = timed(|| pool.install(|| net.matrix(sample, &pts)));
    let ms = ms?;

    let g = net.graph();
    let (pg_rows, pg_wall, pg_1t) = timed(|| {
        sample
            .iter()
            .map(|&s| {
                let d =
                    petgraph::algo::dijkstra(g, s.into(), None, |e| u64::from(e.weight().time_ds));
                pts.iter()
                    .map(|&p| d.get(&NodeIndex::from(p)).copied())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });

    for (i, row) in pg_rows.iter().enumerate() {
        for (j, ds) in row.iter().enumerate() {
            let ours = ms.get(i, j).map(|(_, s)| u64::from(s));
            assert_eq!(ours, ds.map(|ds| (ds + 5) / 10), "mismatch at {i},{j}");
            assert_eq!(ms.get(i, j), m.get(i, j));
        }
    }
    println!(
        "{PETGRAPH_SAMPLE} sources x {POINTS} targets, 1 thread, cpu: ours {ours_1t:.2} s, petgraph::algo::dijkstra {pg_1t:.2} s, ratio {:.1}x (wall {ours_wall:.2} s vs {pg_wall:.2} s; results identical)",
        pg_1t / ours_1t
    );
    println!(
        "extrapolated {POINTS}x{POINTS} on 1 thread, cpu: ours {:.2} s, petgraph {:.2} s",
        ours_1t * (POINTS / PETGRAPH_SAMPLE) as f64,
        pg_1t * (POINTS / PETGRAPH_SAMPLE) as f64
    );
    let unreachable = m.unreachable_pairs().len();
    let mean_s =
        m.duration_s.iter().map(|&x| f64::from(x)).sum::<f64>() / m.duration_s.len() as f64;
    println!("unreachable pairs: {unreachable}; mean duration {mean_s:.0} s");
    Ok(())
}
