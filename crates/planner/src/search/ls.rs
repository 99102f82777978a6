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

fn commit(data: &Data, st: &mut State, r: usize, nodes: Vec<u32>) {
    st.routes[r].nodes = nodes;
    cleanup(data, &mut st.routes[r]);
    st.routes[r].rebuild(data);
    for &x in &st.routes[r].nodes {
        if is_stop(data, x) {
            st.route_of[x as usize] = r;
        }
    }
}

fn try_moves(data: &Data, st: &mut State, u: u32, v: u32) -> bool {
    let Some((ru, i)) = pos_of(st, u) else {
        return false;
    };
    let Some((rv, j)) = pos_of(st, v) else {
        return false;
    };
    let useg = data.segs[u as usize];
    let vseg = data.segs[v as usize];
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
                let ins2 = data.eval(v2, &r2.pre[j + 1], Some(&useg), &r2.suf[j + 1]);
                if let (Some(c1), Some(c2)) = (rem1, ins2)
                    && c1 + c2 < base {
                        let mut n1 = r1.nodes.clone();
                        n1.remove(i);
                        let mut n2 = r2.nodes.clone();
                        n2.insert(j + 1, u);
                        commit(data, st, ru, n1);
                        commit(data, st, rv, n2);
                        return true;
                    }
            }
        let (r1, r2) = (&st.routes[ru], &st.routes[rv]);
        // Relocate u before v.
        if data.veh[v2].allowed[u as usize] && !brk_at(st, rv, j)
            && let Some(rem1) = rem1 {
                let ins2 = data.eval(v2, &r2.pre[j], Some(&useg), &r2.suf[j]);
                if let (Some(c1), Some(c2)) = (rem1, ins2)
                    && c1 + c2 < base {
                        let mut n1 = r1.nodes.clone();
                        n1.remove(i);
                        let mut n2 = r2.nodes.clone();
                        n2.insert(j, u);
                        commit(data, st, ru, n1);
                        commit(data, st, rv, n2);
                        return true;
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
            let pair = data.cat(v2, &useg, &data.segs[w as usize]);
            let c1 = data.eval(v1, &r1.pre[i], None, &r1.suf[i + 2]);
            let c2 = if c1.is_some() { data.eval(v2, &r2.pre[j + 1], Some(&pair), &r2.suf[j + 1]) } else { None };
            if let (Some(c1), Some(c2)) = (c1, c2)
                && c1 + c2 < base {
                    let mut n1 = r1.nodes.clone();
                    n1.drain(i..i + 2);
                    let mut n2 = r2.nodes.clone();
                    n2.splice(j + 1..j + 1, [u, w]);
                    commit(data, st, ru, n1);
                    commit(data, st, rv, n2);
                    return true;
                }
        }
        // Swap u and v.
        if data.veh[v2].allowed[u as usize]
            && data.veh[v1].allowed[v as usize]
            && !brk_at(st, ru, i + 1)
            && !brk_at(st, rv, j + 1)
        {
            let c1 = data.eval(v1, &r1.pre[i], Some(&vseg), &r1.suf[i + 1]);
            let c2 = if c1.is_some() {
                data.eval(v2, &r2.pre[j], Some(&useg), &r2.suf[j + 1])
            } else {
                None
            };
            if let (Some(c1), Some(c2)) = (c1, c2)
                && c1 + c2 < base {
                    let mut n1 = r1.nodes.clone();
                    n1[i] = v;
                    let mut n2 = r2.nodes.clone();
                    n2[j] = u;
                    commit(data, st, ru, n1);
                    commit(data, st, rv, n2);
                    return true;
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
                    let (f1, f2) = (r1.final_site, r2.final_site);
                    st.routes[ru].final_site = f2;
                    st.routes[rv].final_site = f1;
                    commit(data, st, ru, n1);
                    commit(data, st, rv, n2);
                    return true;
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
                s = data.cat(vv, &s, &data.segs[r.nodes[k] as usize]);
            }
            if let Some(c) = data.route_cost(vv, &data.cat(vv, &s, &r.suf[j + 1]))
                && c < r.cost {
                    let mut nodes = r.nodes.clone();
                    nodes[i + 1..=j].reverse();
                    commit(data, st, ru, nodes);
                    return true;
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
                data.segs[x as usize]
            };
            s = data.cat(vv, &s, &xs);
        }
        let s = data.cat(vv, &s, &r.suf[hi + 1]);
        if let Some(c) = cost(data, vv, &s)
            && c < r.cost {
                commit(data, st, ru, nodes);
                return true;
            }
        false
    }
}
