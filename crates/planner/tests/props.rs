//! Property tests over whole generated instances (time windows, reloads,
//! breaks, prizes, skills, several capacity dimensions): every solution the
//! search returns passes the independent checker at the cost it claims, and
//! on tiny CVRPs the search finds the brute-force optimum.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use common::*;
use fillroute_planner::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Spec {
    points: Vec<(f64, f64)>,
    demands: Vec<(i64, i64)>,
    windows: Vec<Option<(i64, i64)>>,
    prizes: Vec<Option<i64>>,
    skills: Vec<bool>,
    release: Vec<i64>,
    vehicles: usize,
    cap: i64,
    with_site: bool,
    final_disposal: bool,
    brk: Option<(i64, i64)>,
    lexicographic: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (3usize..12).prop_flat_map(|n| {
        (
            prop::collection::vec((0.0..100.0f64, 0.0..100.0f64), n + 2),
            prop::collection::vec((1i64..6, 0i64..4), n),
            prop::collection::vec(prop::option::weighted(0.5, (0i64..300, 40i64..200)), n),
            prop::collection::vec(prop::option::weighted(0.2, 0i64..150), n),
            prop::collection::vec(prop::bool::weighted(0.2), n),
            prop::collection::vec(prop::option::weighted(0.2, 0i64..100), n),
            1usize..4,
            6i64..15,
            any::<bool>(),
            any::<bool>(),
            prop::option::weighted(0.4, (100i64..300, 20i64..60)),
            any::<bool>(),
        )
            .prop_map(
                |(
                    points,
                    demands,
                    windows,
                    prizes,
                    skills,
                    release,
                    vehicles,
                    cap,
                    with_site,
                    fd,
                    brk,
                    lex,
                )| Spec {
                    points,
                    demands,
                    windows: windows
                        .into_iter()
                        .map(|w| w.map(|(e, len)| (e, e + len)))
                        .collect(),
                    prizes,
                    skills,
                    release: release.into_iter().map(|r| r.unwrap_or(0)).collect(),
                    vehicles,
                    cap,
                    with_site,
                    final_disposal: with_site && fd,
                    brk,
                    lexicographic: lex,
                },
            )
    })
}

fn build(s: &Spec) -> Option<Instance> {
    let n = s.demands.len();
    let site_loc = n + 1;
    let mut b = builder(&s.points);
    if s.with_site {
        b = b.site(DisposalSite {
            id: "lf".into(),
            location: site_loc,
            hours: TimeWindow::new(0, 2000),
            unload_time: 10,
            accepts: u64::MAX,
        });
    }
    for i in 0..n {
        let mut st = Stop::new(format!("s{i}"), i + 1, 0);
        st.demand = vec![s.demands[i].0, s.demands[i].1];
        st.service = 5;
        if let Some((e, l)) = s.windows[i] {
            st.windows = vec![TimeWindow::new(e, l)];
        }
        st.prize = s.prizes[i];
        st.skills = u64::from(s.skills[i]);
        st.release = s.release[i];
        b = b.stop(st);
    }
    for k in 0..s.vehicles {
        let mut v = Vehicle::new(format!("v{k}"), vec![s.cap, s.cap], 0);
        v.shift = TimeWindow::new(0, 2000);
        v.skills = u64::from(k == 0);
        v.final_disposal_required = s.final_disposal;
        v.break_ = s.brk.map(|(e, d)| Break {
            window: TimeWindow::new(e, e + 100),
            duration: d,
        });
        b = b.vehicle(v);
    }
    b = b.objective(if s.lexicographic {
        Objective::Lexicographic
    } else {
        Objective::Weighted {
            unserved_weight: 100_000,
            vehicle_weight: 50,
        }
    });
    // Random data may be invalid (e.g. an unreachable window): that is the
    // validation's job, tested elsewhere.
    b.build().ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_solution_passes_the_checker(s in spec(), seed in 0u64..4) {
        let Some(inst) = build(&s) else { return Ok(()) };
        let out = solve(&inst, &params(150, seed));
        let rep = check(&inst, &out.solution);
        prop_assert!(rep.violations.is_empty(), "violations {:?} in {:?}", rep.violations, out.solution);
        prop_assert_eq!(rep.objective, out.objective);
        // Every left-out required stop carries a reason, and is really unserved.
        prop_assert_eq!(out.solution.unserved.iter().filter(|(u, _)| inst.stops()[*u].prize.is_none()).count(), rep.unserved_required);
    }
}

/// Exact CVRP optimum by dynamic programming over subsets (n <= 9).
fn brute_force(d: &[f64], n: usize, demand: &[i64], cap: i64, fleet: usize) -> i64 {
    let m = n + 1;
    let dist = |a: usize, b: usize| d[a * m + b] as i64;
    let full = 1usize << n;
    // tsp[S][j]: shortest path depot -> S ending at j (j in S).
    let inf = i64::MAX / 4;
    let mut tsp = vec![vec![inf; n]; full];
    for j in 0..n {
        tsp[1 << j][j] = dist(0, j + 1);
    }
    for s in 1..full {
        for j in 0..n {
            if s & (1 << j) == 0 || tsp[s][j] >= inf {
                continue;
            }
            for k in 0..n {
                if s & (1 << k) == 0 {
                    let t = s | (1 << k);
                    let c = tsp[s][j] + dist(j + 1, k + 1);
                    if c < tsp[t][k] {
                        tsp[t][k] = c;
                    }
                }
            }
        }
    }
    let route: Vec<i64> = (0..full)
        .map(|s| {
            let load: i64 = (0..n)
                .filter(|&j| s & (1 << j) != 0)
                .map(|j| demand[j])
                .sum();
            if s == 0 || load > cap {
                inf
            } else {
                (0..n)
                    .filter(|&j| s & (1 << j) != 0)
                    .map(|j| tsp[s][j] + dist(j + 1, 0))
                    .min()
                    .unwrap_or(inf)
            }
        })
        .collect();
    // best[k][S]: cover S with k routes.
    let mut best = vec![inf; full];
    best[0] = 0;
    let mut answer = inf;
    for _ in 0..fleet {
        let mut next = vec![inf; full];
        for s in 0..full {
            if best[s] >= inf {
                continue;
            }
            let rest = (full - 1) & !s;
            let low = rest & rest.wrapping_neg();
            let mut sub = rest;
            while sub > 0 {
                if sub & low != 0 && route[sub] < inf {
                    let c = best[s] + route[sub];
                    if c < next[s | sub] {
                        next[s | sub] = c;
                    }
                }
                sub = (sub - 1) & rest;
            }
        }
        best = next;
        answer = answer.min(best[full - 1]);
    }
    answer
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn finds_the_optimum_of_tiny_cvrps(
        pts in prop::collection::vec((0.0..100.0f64, 0.0..100.0f64), 5..9),
        dem in prop::collection::vec(1i64..6, 8),
        cap in 6i64..14,
    ) {
        let n = pts.len() - 1;
        let demand = &dem[..n];
        let fleet = 4;
        let d = plane(&pts);
        let inst = builder(&pts)
            .stops((0..n).map(|i| Stop::new(format!("s{i}"), i + 1, demand[i])))
            .vehicles((0..fleet).map(|k| Vehicle::new(format!("v{k}"), vec![cap], 0)))
            .objective(Objective::Weighted { unserved_weight: 1 << 40, vehicle_weight: 0 })
            .build()
            .unwrap();
        let opt = brute_force(&d, n, demand, cap, fleet);
        prop_assume!(opt < i64::MAX / 8);
        let out = solve(&inst, &params(2000, 0));
        let rep = check(&inst, &out.solution);
        prop_assert!(rep.feasible, "{:?}", rep.violations);
        prop_assert_eq!(rep.distance, opt);
    }
}
