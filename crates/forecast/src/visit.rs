//! What a separate future visit to a bin would cost. Collecting a fullish bin
//! now, while a truck is in the street anyway, saves that visit, so this cost
//! is the "saved future visit" part of a may-collect prize
//! ([`BinState::detour_saving`](crate::BinState::detour_saving)). The nightly
//! planner and the scenario simulator both price bins with this one function.

/// The cost of a separate future visit to one bin, in two parts, in the
/// caller's cost unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VisitCost {
    /// Service plus the detour of slotting the bin between two of its
    /// nearest neighbouring bins.
    pub marginal: f64,
    /// Driving a truck does for any route through this bin, whatever it
    /// holds: depot → bin → nearest disposal site → depot. One visit carries
    /// its share: this divided by the bins such a route serves.
    pub dispatch: f64,
}

impl VisitCost {
    /// The cost of one visit on a route that serves `bins_per_route` bins.
    pub fn per_visit(&self, bins_per_route: f64) -> f64 {
        self.marginal + self.dispatch / bins_per_route.max(1.0)
    }
}

/// Neighbouring bins a detour is measured against.
const NEIGHBOURS: usize = 4;

/// Prices a future visit to every bin.
///
/// `cost(a, b)` is the travel cost from location `a` to `b` (non-finite when
/// there is no route); `bins[i]` is bin `i`'s location and `service[i]` the
/// cost of serving it; trucks start and end at `depot` and unload at the
/// nearest of `sites` (no sites: no dispatch share). Runs in O(n²) cost
/// lookups for n bins.
pub fn future_visit_costs(
    cost: impl Fn(usize, usize) -> f64,
    bins: &[usize],
    service: &[f64],
    depot: usize,
    sites: &[usize],
) -> Vec<VisitCost> {
    let finite = |x: f64| x.is_finite().then_some(x);
    bins.iter()
        .zip(service)
        .map(|(&b, &service)| {
            let mut near: Vec<(f64, usize)> = bins
                .iter()
                .filter(|&&o| o != b)
                .filter_map(|&o| finite(cost(o, b) + cost(b, o)).map(|c| (c, o)))
                .collect();
            let k = NEIGHBOURS.min(near.len());
            if k > 0 {
                near.select_nth_unstable_by(k - 1, |x, y| x.0.total_cmp(&y.0));
            }
            let near = &near[..k];
            // A lone neighbour: out and back. Two or more: the cheapest insertion between them.
            let mut detour = near.iter().map(|n| n.0).fold(f64::INFINITY, f64::min);
            for &(_, i) in near {
                for &(_, j) in near {
                    if let Some(d) = finite(cost(i, b) + cost(b, j) - cost(i, j)).filter(|_| i != j)
                    {
                        detour = detour.min(d.max(0.0));
                    }
                }
            }
            let via_site = sites
                .iter()
                .filter_map(|&x| finite(cost(b, x) + cost(x, depot)))
                .fold(f64::INFINITY, f64::min);
            let dispatch = finite(cost(depot, b) + via_site).unwrap_or(0.0);
            VisitCost {
                marginal: service + finite(detour).unwrap_or(0.0),
                dispatch,
            }
        })
        .collect()
}

/// Bins one truckload holds when they are emptied at about 80 % fill: the
/// stops per route to expect before any plan has been driven.
pub fn bins_per_load(truck_litres: f64, mean_bin_litres: f64) -> f64 {
    (truck_litres / (0.8 * mean_bin_litres).max(1.0)).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a line, cost = distance.
    fn line(xs: &[f64]) -> impl Fn(usize, usize) -> f64 + '_ {
        move |a, b| (xs[a] - xs[b]).abs()
    }

    #[test]
    fn a_bin_between_its_neighbours_costs_no_detour_but_its_service() {
        // depot 0 at 0, site 1 at 10, bins at 2, 3, 4.
        let xs = [0.0, 10.0, 2.0, 3.0, 4.0];
        let v = future_visit_costs(line(&xs), &[2, 3, 4], &[1.0; 3], 0, &[1]);
        assert_eq!(v[1].marginal, 1.0);
        // depot → 3 → site 10 → depot: 3 + 7 + 10.
        assert_eq!(v[1].dispatch, 20.0);
        assert!((v[1].per_visit(4.0) - 6.0).abs() < 1e-12);
    }

    #[test]
    fn an_outlying_bin_costs_its_detour() {
        let xs = [0.0, 10.0, 2.0, 3.0, 9.0];
        let v = future_visit_costs(line(&xs), &[2, 3, 4], &[0.0; 3], 0, &[1]);
        // Bin at 9: its neighbours are both on one side, so it costs the trip out and back.
        assert!((v[2].marginal - 12.0).abs() < 1e-12, "{:?}", v[2]);
    }

    #[test]
    fn unreachable_places_are_ignored_not_poisoning_the_price() {
        let xs = [0.0, 10.0, 2.0, 3.0, 4.0];
        let cost = |a: usize, b: usize| {
            if a == 4 || b == 4 {
                f64::INFINITY
            } else {
                line(&xs)(a, b)
            }
        };
        let v = future_visit_costs(cost, &[2, 3, 4], &[0.0; 3], 0, &[1]);
        assert!(
            v.iter()
                .all(|c| c.marginal.is_finite() && c.dispatch.is_finite())
        );
        assert_eq!(v[2].dispatch, 0.0);
    }

    #[test]
    fn a_truckload_holds_at_least_one_bin() {
        assert_eq!(bins_per_load(8_000.0, 1_000.0), 10.0);
        assert_eq!(bins_per_load(100.0, 1_000.0), 1.0);
    }
}
