//! Granular local search on the neighbour lists: relocate (inter- and
//! intra-route), swap and 2-opt*, each evaluated in constant time from
//! prefix/suffix segments before anything is changed (evaluate, then apply).

use super::ops::{cleanup, is_stop};
use super::segment::Seg;
use super::state::{BREAK, Data, State};
use crate::model::Units;

const GRANULAR: usize = 20;

fn pos_of(st: &State, u: u32) -> Option<(usize, usize)> {
    let r = st.route_of[u as usize];
    if r == usize::MAX {
        return None;
    }
    st.routes[r]
        .nodes
        .iter()
        .position(|&x| x == u)
        .map(|p| (r, p))
}

fn brk_at(st: &State, r: usize, p: usize) -> bool {
    st.routes[r].nodes.get(p) == Some(&BREAK)
}

fn cost(data: &Data, v: usize, s: &Seg) -> Option<Units> {
    data.route_cost(v, s)
}

/// Cheapest cost of `a ⊕ u ⊕ c` over the time windows of stop `u`.
fn ins_cost(data: &Data, v: usize, a: &Seg, u: u32, c: &Seg) -> Option<Units> {
    data.wins(u)
        .iter()
        .filter_map(|w| data.eval(v, a, Some(w), c))
        .min()
}

/// Applies improving moves until none is left (or a pass cap is hit).
pub(crate) fn improve(data: &Data, st: &mut State, _fleet_cap: usize) {
    for _pass in 0..50 {
        let mut improved = false;
        for u in 0..data.n as u32 {
            if st.route_of[u as usize] == usize::MAX {
                continue;
            }
            for k in 0..data.neigh[u as usize].len().min(GRANULAR) {
                let v = data.neigh[u as usize][k];
                if st.route_of[v as usize] == usize::MAX || st.route_of[u as usize] == usize::MAX {
                    continue;
                }
                if try_moves(data, st, u, v) {
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

fn commit(data: &Data, st: &mut State, r: usize, nodes: Vec<u32>, site: usize) {
    st.routes[r].nodes = nodes;
    st.routes[r].final_site = site;
    cleanup(data, &mut st.routes[r]);
    st.routes[r].rebuild(data);
    for &x in &st.routes[r].nodes {
        if is_stop(data, x) {
            st.route_of[x as usize] = r;
        }
    }
}

/// Applies new node lists (and final disposal sites) to routes whose costs summed to `base`. With
/// several windows per stop a move is evaluated with the other stops'
/// windows fixed, and the rebuild may re-pick them: the move is undone
/// unless the rebuilt routes are really cheaper.
fn apply(data: &Data, st: &mut State, base: Units, changes: Vec<(usize, Vec<u32>, usize)>) -> bool {
    let saved: Vec<_> = if data.multi_window {
        changes.iter().map(|(r, _, _)| st.routes[*r].clone()).collect()
    } else {
        Vec::new()
    };
    let routes: Vec<usize> = changes.iter().map(|(r, _, _)| *r).collect();
    for (r, nodes, site) in changes {
        commit(data, st, r, nodes, site);
    }
    if !data.multi_window || routes.iter().map(|&r| st.routes[r].cost).sum::<Units>() < base {
        return true;
    }
    for (&r, old) in routes.iter().zip(saved) {
        st.routes[r] = old;
        for &x in &st.routes[r].nodes {
            if is_stop(data, x) {
                st.route_of[x as usize] = r;
            }
        }
    }
    false
}

fn try_moves(data: &Data, st: &mut State, u: u32, v: u32) -> bool {
    let Some((ru, i)) = pos_of(st, u) else {
        return false;
    };
    let Some((rv, j)) = pos_of(st, v) else {
        return false;
    };
    if ru != rv {
        let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
        let (v1, v2) = (r1.veh, r2.veh);
        let base = r1.cost + r2.cost;
        let rem1 = if brk_at(st, ru, i + 1) {
            None
        } else {
            Some(data.eval(v1, &r1.pre[i], None, &r1.suf[i + 1]))
        };
        // Relocate u after v.
        if data.veh[v2].allowed[u as usize] && !brk_at(st, rv, j + 1)
            && let Some(rem1) = rem1 {
                let ins2 = ins_cost(data, v2, &r2.pre[j + 1], u, &r2.suf[j + 1]);
                if let (Some(c1), Some(c2)) = (rem1, ins2)
                    && c1 + c2 < base {
                        let mut n1 = r1.nodes.clone();
                        n1.remove(i);
                        let mut n2 = r2.nodes.clone();
                        n2.insert(j + 1, u);
                        let (f1, f2) = (st.routes[ru].final_site, st.routes[rv].final_site);
                        return apply(data, st, base, vec![(ru, n1, f1), (rv, n2, f2)]);
                    }
            }
        let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
        // Relocate u before v.
        if data.veh[v2].allowed[u as usize] && !brk_at(st, rv, j)
            && let Some(rem1) = rem1 {
                let ins2 = ins_cost(data, v2, &r2.pre[j], u, &r2.suf[j]);
                if let (Some(c1), Some(c2)) = (rem1, ins2)
                    && c1 + c2 < base {
                        let mut n1 = r1.nodes.clone();
                        n1.remove(i);
                        let mut n2 = r2.nodes.clone();
                        n2.insert(j, u);
                        let (f1, f2) = (st.routes[ru].final_site, st.routes[rv].final_site);
                        return apply(data, st, base, vec![(ru, n1, f1), (rv, n2, f2)]);
                    }
            }
        // Or-opt: move u with its successor stop after v.
        let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
        if i + 1 < r1.nodes.len()
            && is_stop(data, r1.nodes[i + 1])
            && !brk_at(st, ru, i + 2)
            && !brk_at(st, rv, j + 1)
            && data.veh[v2].allowed[u as usize]
            && data.veh[v2].allowed[r1.nodes[i + 1] as usize]
        {
            let w = r1.nodes[i + 1];
            let pair = data.cat(v2, &r1.node_seg(data, i), &r1.node_seg(data, i + 1));
            let c1 = data.eval(v1, &r1.pre[i], None, &r1.suf[i + 2]);
            let c2 = if c1.is_some() { data.eval(v2, &r2.pre[j + 1], Some(&pair), &r2.suf[j + 1]) } else { None };
            if let (Some(c1), Some(c2)) = (c1, c2)
                && c1 + c2 < base {
                    let mut n1 = r1.nodes.clone();
                    n1.drain(i..i + 2);
                    let mut n2 = r2.nodes.clone();
                    n2.splice(j + 1..j + 1, [u, w]);
                    let (f1, f2) = (st.routes[ru].final_site, st.routes[rv].final_site);
                    return apply(data, st, base, vec![(ru, n1, f1), (rv, n2, f2)]);
                }
        }
        // Swap u and v.
        if data.veh[v2].allowed[u as usize]
            && data.veh[v1].allowed[v as usize]
            && !brk_at(st, ru, i + 1)
            && !brk_at(st, rv, j + 1)
        {
            let c1 = ins_cost(data, v1, &r1.pre[i], v, &r1.suf[i + 1]);
            let c2 = if c1.is_some() {
                ins_cost(data, v2, &r2.pre[j], u, &r2.suf[j + 1])
            } else {
                None
            };
            if let (Some(c1), Some(c2)) = (c1, c2)
                && c1 + c2 < base {
                    let mut n1 = r1.nodes.clone();
                    n1[i] = v;
                    let mut n2 = r2.nodes.clone();
                    n2[j] = u;
                    let (f1, f2) = (st.routes[ru].final_site, st.routes[rv].final_site);
                    return apply(data, st, base, vec![(ru, n1, f1), (rv, n2, f2)]);
                }
        }
        // 2-opt*: exchange the tails after u and after v (same vehicle class).
        if data.class[v1] == data.class[v2] && !brk_at(st, ru, i + 1) && !brk_at(st, rv, j + 1) {
            let c1 = data.eval(v1, &r1.pre[i + 1], None, &r2.suf[j + 1]);
            let c2 = if c1.is_some() {
                data.eval(v2, &r2.pre[j + 1], None, &r1.suf[i + 1])
            } else {
                None
            };
            if let (Some(c1), Some(c2)) = (c1, c2)
                && c1 + c2 < base {
                    let mut n1: Vec<u32> = r1.nodes[..=i].to_vec();
                    n1.extend_from_slice(&r2.nodes[j + 1..]);
                    let mut n2: Vec<u32> = r2.nodes[..=j].to_vec();
                    n2.extend_from_slice(&r1.nodes[i + 1..]);
                    // The tails take their final disposal sites along.
                    let (f1, f2) = (r1.final_site, r2.final_site);
                    return apply(data, st, base, vec![(ru, n1, f2), (rv, n2, f1)]);
                }
        }
        false
    } else {
        let r = &st.routes[ru];
        let vv = r.veh;
        // 2-opt: reverse the visits strictly after u up to v (u before v).
        if i < j && !r.nodes[i + 1..=j].contains(&BREAK) && !brk_at(st, ru, j + 1) {
            let mut s = r.pre[i + 1];
            for k in (i + 1..=j).rev() {
                s = data.cat(vv, &s, &r.node_seg(data, k));
            }
            if let Some(c) = data.route_cost(vv, &data.cat(vv, &s, &r.suf[j + 1]))
                && c < r.cost {
                    let mut nodes = r.nodes.clone();
                    nodes[i + 1..=j].reverse();
                    let (base, f) = (st.routes[ru].cost, st.routes[ru].final_site);
                    return apply(data, st, base, vec![(ru, nodes, f)]);
                }
        }
        // Intra-route relocate of u to just after v (middle rebuilt node by node).
        if i == j || i == j + 1 || brk_at(st, ru, i + 1) || brk_at(st, ru, j + 1) {
            return false;
        }
        let mut nodes = r.nodes.clone();
        nodes.remove(i);
        let jj = if j > i { j } else { j + 1 };
        nodes.insert(jj, u);
        // Old position of each new position (each stop keeps its window).
        let mut from: Vec<usize> = (0..r.nodes.len()).collect();
        from.remove(i);
        from.insert(jj, i);
        let (lo, hi) = (i.min(jj), i.max(jj));
        let mut s = r.pre[lo];
        for (k, &x) in nodes.iter().enumerate().take(hi + 1).skip(lo) {
            let xs = if x == BREAK {
                let loc = if k == 0 {
                    data.veh[vv].start_loc
                } else {
                    data.loc(nodes[k - 1])
                };
                data.brk_seg(vv, loc)
            } else {
                r.node_seg(data, from[k])
            };
            s = data.cat(vv, &s, &xs);
        }
        let s = data.cat(vv, &s, &r.suf[hi + 1]);
        if let Some(c) = cost(data, vv, &s)
            && c < r.cost {
                let (base, f) = (st.routes[ru].cost, st.routes[ru].final_site);
                return apply(data, st, base, vec![(ru, nodes, f)]);
            }
        false
    }
}
