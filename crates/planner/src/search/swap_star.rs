//! SWAP* (Vidal 2022, "Hybrid genetic search for the CVRP: open-source
//! implementation and SWAP* neighborhood"): exchange a stop `u` of one
//! route with a stop `v` of another, where each goes to its best position
//! in the other route rather than into the place the other one left.
//!
//! For a pair of neighbouring routes, the three cheapest insertion
//! positions of every stop of each route into the other route are found
//! first (by distance detour). The best position for `u` once `v` has left
//! is then one of those three that is not next to `v`, or `v`'s place, so
//! every exchange is estimated in constant time. The most promising
//! estimates are evaluated exactly with the segment data (time windows,
//! disposal trips, breaks, all constraints) before one is applied.

use super::operator::{Move, OperatorStats, apply};
use super::ops::is_stop;
use super::segment::MAXD;
use super::state::{BREAK, Data, RouteState, State};
use crate::model::Units;

/// Estimated exchanges evaluated exactly per route pair.
const EXACT: usize = 4;

/// The three cheapest insertion positions of one stop into one route.
#[derive(Clone, Copy)]
struct Top3 {
    cost: [Units; 3],
    pos: [usize; 3],
}

impl Top3 {
    const EMPTY: Top3 = Top3 {
        cost: [Units::MAX; 3],
        pos: [usize::MAX; 3],
    };

    fn add(&mut self, cost: Units, pos: usize) {
        let mut k = 3;
        while k > 0 && cost < self.cost[k - 1] {
            k -= 1;
        }
        if k < 3 {
            for m in (k + 1..3).rev() {
                self.cost[m] = self.cost[m - 1];
                self.pos[m] = self.pos[m - 1];
            }
            self.cost[k] = cost;
            self.pos[k] = pos;
        }
    }

    /// Cheapest position that stays valid once the visit at `j` has left
    /// (the positions around `j` become `j`'s place, priced separately).
    fn without(&self, j: usize) -> Option<(Units, usize)> {
        (0..3)
            .find(|&m| self.cost[m] < Units::MAX && self.pos[m] != j && self.pos[m] != j + 1)
            .map(|m| (self.cost[m], self.pos[m]))
    }
}

/// Distance cost of putting location `x` between positions `p - 1` and `p`
/// of `r` (`skip` visits from `p` on left out).
fn detour(data: &Data, r: &RouteState, p: usize, skip: usize, x: usize) -> Units {
    let (dm, _) = data.mats(r.veh);
    let a = r.pre[p].last as usize;
    let b = r.suf[p + skip].first as usize;
    data.veh[r.veh].cpd * (dm.get(a, x) + dm.get(x, b) - dm.get(a, b))
}

/// Top-3 insertion positions of every stop of `from` into `to`.
fn tops(data: &Data, from: &RouteState, to: &RouteState) -> Vec<Top3> {
    from.nodes
        .iter()
        .map(|&u| {
            let mut t = Top3::EMPTY;
            if is_stop(data, u) && data.veh[to.veh].allowed[u as usize] {
                let x = data.loc(u) as usize;
                for p in 0..=to.nodes.len() {
                    if to.nodes.get(p) != Some(&BREAK) {
                        t.add(detour(data, to, p, 0, x), p);
                    }
                }
            }
            t
        })
        .collect()
}

/// Exact cost of `r` with the stop at `i` removed and stop `x` inserted
/// before old position `p` (`p == i`: in its place), or `None`.
fn exchanged_cost(data: &Data, r: &RouteState, i: usize, x: u32, p: usize) -> Option<Units> {
    let v = r.veh;
    data.wins(x)
        .iter()
        .filter_map(|xs| {
            let s = if p == i {
                data.cat(v, &r.pre[i], xs)
            } else if p < i {
                let mut s = data.cat(v, &r.pre[p], xs);
                for k in p..i {
                    s = data.cat(v, &s, &r.node_seg(data, k));
                }
                s
            } else {
                let mut s = r.pre[i];
                for k in i + 1..p {
                    s = data.cat(v, &s, &r.node_seg(data, k));
                }
                data.cat(v, &s, xs)
            };
            let rest = if p > i { &r.suf[p] } else { &r.suf[i + 1] };
            data.route_cost(v, &data.cat(v, &s, rest))
        })
        .min()
}

/// `nodes` with the stop at `i` removed and `x` inserted before old
/// position `p` (`p == i`: in its place).
fn exchanged(nodes: &[u32], i: usize, x: u32, p: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(nodes.len());
    for (k, &y) in nodes.iter().enumerate() {
        if k == p {
            out.push(x);
        }
        if k != i {
            out.push(y);
        }
    }
    if p == nodes.len() {
        out.push(x);
    }
    out
}

/// Single-trip load check: exchanging `out` for `inn` must fit the truck
/// (only for routes without disposal trips, and with capacity hard).
fn fits(data: &Data, r: &RouteState, out: u32, inn: u32) -> bool {
    let k = r.nodes.len();
    if data.cap_pen != 0 || r.pre[k].ndisp > 0 {
        return true;
    }
    // One trip: its load is the whole route's, plus what was on board.
    let (load, cap) = (&r.pre[k].t_load, &data.veh[r.veh].cap);
    let (qo, qi) = (
        &data.segs[out as usize].total,
        &data.segs[inn as usize].total,
    );
    (0..MAXD).all(|d| load[d] - qo[d] + qi[d] <= cap[d])
}

/// The first improving SWAP* exchange between routes `ra` and `rb` among
/// the best estimates, priced exactly; changes nothing.
fn evaluate(data: &Data, st: &State, ra: usize, rb: usize) -> Option<Move> {
    let (r1, r2) = (&st.routes[ra], &st.routes[rb]);
    let top_u = tops(data, r1, r2);
    let top_v = tops(data, r2, r1);
    // (estimate, i, position of v in r1, j, position of u in r2)
    let mut cands: Vec<(Units, usize, usize, usize, usize)> = Vec::new();
    for (i, &u) in r1.nodes.iter().enumerate() {
        if top_u[i].cost[0] == Units::MAX || r1.nodes.get(i + 1) == Some(&BREAK) {
            continue;
        }
        let rem_u = detour(data, r1, i, 1, data.loc(u) as usize);
        for (j, &v) in r2.nodes.iter().enumerate() {
            if top_v[j].cost[0] == Units::MAX
                || r2.nodes.get(j + 1) == Some(&BREAK)
                || !fits(data, r1, u, v)
                || !fits(data, r2, v, u)
            {
                continue;
            }
            let rem_v = detour(data, r2, j, 1, data.loc(v) as usize);
            // u into r2 without v: a top-3 position or v's place.
            let mut ins_u = (detour(data, r2, j, 1, data.loc(u) as usize), j);
            if let Some(t) = top_u[i].without(j)
                && t.0 < ins_u.0
            {
                ins_u = t;
            }
            let mut ins_v = (detour(data, r1, i, 1, data.loc(v) as usize), i);
            if let Some(t) = top_v[j].without(i)
                && t.0 < ins_v.0
            {
                ins_v = t;
            }
            let est = ins_u.0 + ins_v.0 - rem_u - rem_v;
            if est < 0 {
                cands.push((est, i, ins_v.1, j, ins_u.1));
            }
        }
    }
    cands.sort_unstable_by_key(|c| c.0);
    let base = r1.cost + r2.cost;
    for &(_, i, pv, j, pu) in cands.iter().take(EXACT) {
        let (u, v) = (r1.nodes[i], r2.nodes[j]);
        let Some(c1) = exchanged_cost(data, r1, i, v, pv) else {
            continue;
        };
        let Some(c2) = exchanged_cost(data, r2, j, u, pu) else {
            continue;
        };
        if c1 + c2 < base {
            let n1 = exchanged(&r1.nodes, i, v, pv);
            let n2 = exchanged(&r2.nodes, j, u, pu);
            let (f1, f2) = (r1.final_site, r2.final_site);
            return Some(Move {
                base,
                delta: c1 + c2 - base,
                changes: vec![(ra, n1, f1), (rb, n2, f2)],
            });
        }
    }
    None
}

/// SWAP* over every pair of routes that hold granular neighbours of each
/// other and of which one changed after `since` (per-route stamps in
/// `modified`); returns the routes it changed.
pub(crate) fn swap_star(
    data: &Data,
    st: &mut State,
    granular: usize,
    stats: &mut OperatorStats,
    (modified, since): (&[u64], u64),
) -> Vec<usize> {
    let mut near = Vec::new();
    for u in 0..data.n {
        let ru = st.route_of[u];
        if ru == usize::MAX {
            continue;
        }
        for &v in data.neigh[u].iter().take(granular) {
            let rv = st.route_of[v as usize];
            if rv != usize::MAX && rv != ru && modified[ru].max(modified[rv]) > since {
                near.push((ru.min(rv), ru.max(rv)));
            }
        }
    }
    near.sort_unstable();
    near.dedup();
    let mut changed = Vec::new();
    for (ra, rb) in near {
        stats.evaluations += 1;
        let Some(mv) = evaluate(data, st, ra, rb) else {
            continue;
        };
        debug_assert!(mv.delta < 0, "SWAP* returned a non-improving move");
        if apply(data, st, mv, false) {
            stats.applied += 1;
            changed.extend([ra, rb]);
        }
    }
    changed
}
