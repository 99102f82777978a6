//! The problem model: immutable once built, validated at construction.
//!
//! All times, distances and costs are `i64` fixed-point values. The builder
//! takes `f64` matrices plus a scale so that readers can keep each benchmark
//! set's rounding convention, and the search never sees a float: costs are
//! exact and runs are reproducible.

use thiserror::Error;

/// Time, distance or money in the model's fixed-point units.
pub type Units = i64;

/// Capacity dimensions supported (e.g. volume and weight).
pub const MAX_DIMS: usize = 2;

/// Larger than any realistic time; used for open windows.
pub const FAR: Units = 1 << 50;

/// A closed interval `[early, late]` in which service must *start*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    /// Earliest start.
    pub early: Units,
    /// Latest start.
    pub late: Units,
}

impl TimeWindow {
    /// A window that never binds.
    pub const OPEN: TimeWindow = TimeWindow {
        early: 0,
        late: FAR,
    };
    /// Builds `[early, late]`.
    pub fn new(early: Units, late: Units) -> Self {
        Self { early, late }
    }
}

/// A square travel matrix in fixed-point units (row = from, column = to).
#[derive(Clone, Debug)]
pub struct Matrix {
    n: usize,
    data: Vec<Units>,
}

impl Matrix {
    /// Number of locations.
    pub fn len(&self) -> usize {
        self.n
    }
    /// True when the matrix has no locations.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Entry `from -> to`.
    #[inline]
    pub fn get(&self, from: usize, to: usize) -> Units {
        self.data[from * self.n + to]
    }
    /// Builds from already-integral values (no validation beyond shape).
    pub fn from_units(n: usize, data: Vec<Units>) -> Self {
        assert_eq!(data.len(), n * n, "matrix must be n*n");
        Self { n, data }
    }
}

/// Distance and duration matrices for one vehicle type (road profile).
#[derive(Clone, Debug)]
pub struct Profile {
    /// Distance matrix.
    pub distance: Matrix,
    /// Travel-time matrix.
    pub duration: Matrix,
}

/// A waste stream or skill is a bit in a 64-bit mask.
pub type Mask = u64;

/// A bin to collect (or, in delivery sets, a customer to serve).
#[derive(Clone, Debug)]
pub struct Stop {
    /// External id, used in errors and reports.
    pub id: String,
    /// Location index into the matrices.
    pub location: usize,
    /// Demand per capacity dimension (volume, then optionally weight, ...).
    pub demand: Vec<Units>,
    /// Service time.
    pub service: Units,
    /// Allowed start windows; empty means always open.
    pub windows: Vec<TimeWindow>,
    /// Earliest departure of the trip (from depot or reload point) that serves it.
    pub release: Units,
    /// Skills the vehicle must have (bit mask).
    pub skills: Mask,
    /// Waste stream as a bit (0 = no stream).
    pub stream: Mask,
    /// `None`: required. `Some(p)`: optional, worth `p` when served.
    pub prize: Option<Units>,
}

/// A depot where shifts start and end.
#[derive(Clone, Debug)]
pub struct Depot {
    /// External id.
    pub id: String,
    /// Location index.
    pub location: usize,
}

/// A landfill, transfer station, or (multi-trip sets) a reload depot: visiting
/// it empties the truck.
#[derive(Clone, Debug)]
pub struct DisposalSite {
    /// External id.
    pub id: String,
    /// Location index.
    pub location: usize,
    /// Opening hours (start of unloading must fall inside).
    pub hours: TimeWindow,
    /// Unloading time.
    pub unload_time: Units,
    /// Accepted streams; `Mask::MAX` accepts everything.
    pub accepts: Mask,
}

/// A driver break taken at the vehicle's current position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Break {
    /// Window for the *start* of the break.
    pub window: TimeWindow,
    /// Length of the break.
    pub duration: Units,
}

/// One truck and its driver's shift.
#[derive(Clone, Debug)]
pub struct Vehicle {
    /// External id.
    pub id: String,
    /// Index into [`Instance::profiles`].
    pub profile: usize,
    /// Capacity per dimension, per trip (unloading resets it).
    pub capacity: Vec<Units>,
    /// What the truck already carries when it leaves its start depot, per
    /// dimension (empty: nothing). It fills the first trip only: a truck
    /// re-planned mid-day unloads it at its next disposal visit and then has
    /// its whole capacity again. It is not counted in `route_capacity`,
    /// which caps what this route collects, and it has no stream.
    pub initial_load: Vec<Units>,
    /// Daily cap per dimension over all trips (e.g. yards per driver per day).
    pub route_capacity: Option<Vec<Units>>,
    /// Daily cap on served stops.
    pub max_stops: Option<usize>,
    /// Start depot index. It may differ from `end_depot`: a truck
    /// re-planned mid-day starts where it is and still ends at home.
    pub start_depot: usize,
    /// End depot index.
    pub end_depot: usize,
    /// Shift: departure no earlier than `early`, return no later than `late`.
    pub shift: TimeWindow,
    /// Maximum route duration.
    pub max_duration: Option<Units>,
    /// Maximum route distance.
    pub max_distance: Option<Units>,
    /// Cost when used.
    pub fixed_cost: Units,
    /// Cost per distance unit.
    pub cost_per_distance: Units,
    /// Cost per time unit of the route's duration: the minimal one (departure
    /// postponed to cut waiting), or from the shift start when
    /// [`Self::paid_from_shift_start`].
    pub cost_per_time: Units,
    /// The crew is paid from `shift.early`: the truck leaves then, and waiting
    /// (an idle morning before a lunch break, say) counts as route time.
    pub paid_from_shift_start: bool,
    /// Skills carried (bit mask).
    pub skills: Mask,
    /// Streams it may collect; `Mask::MAX` for all.
    pub streams: Mask,
    /// Optional driver break. A route still out when the break window's
    /// latest start passes (it returns to its end depot after
    /// `window.late`) takes it exactly once; a route back by then needs none,
    /// the crew lunches off the clock. Never more than one.
    pub break_: Option<Break>,
    /// Maximum disposal visits (including the final one); `None` = unlimited.
    pub max_disposal_trips: Option<usize>,
    /// Route must end with a disposal visit before the end depot.
    pub final_disposal_required: bool,
}

impl Vehicle {
    /// A collection truck as haulers run them: one trip's `capacity`, a
    /// shift, and a crew paid from the shift start, priced at `per_km` and
    /// `per_hour` currency units. Costs are milli-units per metre and per
    /// second, so `per_km` rounds to whole units (1.5 becomes 2). The nightly
    /// job and the scenario replay both build their trucks here.
    pub fn truck(
        id: impl Into<String>,
        capacity: Units,
        depot: usize,
        shift: TimeWindow,
        per_km: f64,
        per_hour: f64,
    ) -> Self {
        let mut v = Self::new(id, vec![capacity], depot);
        v.shift = shift;
        v.cost_per_distance = per_km.round().max(0.0) as Units;
        v.cost_per_time = (per_hour / 3.6).round().max(0.0) as Units;
        v.paid_from_shift_start = true;
        v
    }

    /// [`Self::initial_load`] in dimension `dim` (0 when none is given).
    pub fn initial_load_in(&self, dim: usize) -> Units {
        self.initial_load.get(dim).copied().unwrap_or(0)
    }

    /// It leaves with something on board.
    pub fn starts_loaded(&self) -> bool {
        self.initial_load.iter().any(|&l| l > 0)
    }

    /// A plain vehicle with open shift and unit distance cost.
    pub fn new(id: impl Into<String>, capacity: Vec<Units>, depot: usize) -> Self {
        Self {
            id: id.into(),
            profile: 0,
            capacity,
            initial_load: Vec::new(),
            route_capacity: None,
            max_stops: None,
            start_depot: depot,
            end_depot: depot,
            shift: TimeWindow::OPEN,
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            paid_from_shift_start: false,
            skills: 0,
            streams: Mask::MAX,
            break_: None,
            max_disposal_trips: None,
            final_disposal_required: false,
        }
    }
}

impl Stop {
    /// A required stop with one demand dimension and no windows.
    pub fn new(id: impl Into<String>, location: usize, demand: Units) -> Self {
        Self {
            id: id.into(),
            location,
            demand: vec![demand],
            service: 0,
            windows: Vec::new(),
            release: 0,
            skills: 0,
            stream: 0,
            prize: None,
        }
    }
}

/// How solutions are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Objective {
    /// Unserved required stops, then vehicles used, then cost (distance/time
    /// cost minus prizes of served optional stops).
    #[default]
    Lexicographic,
    /// A single sum: `unserved_weight` per unserved required stop plus
    /// `vehicle_weight` per used vehicle plus cost.
    Weighted {
        /// Penalty per unserved required stop.
        unserved_weight: Units,
        /// Extra cost per used vehicle (on top of `fixed_cost`).
        vehicle_weight: Units,
    },
}

impl Objective {
    /// What a collection day costs: distance and time at the vehicles' rates,
    /// less the prizes of optional stops served. A left-out required stop
    /// outweighs any route; vehicles are not minimised first, so a second
    /// truck is used whenever it saves more than it costs. The nightly job,
    /// re-planning and the scenario replay all plan with it, with crews paid
    /// from the shift start ([`Vehicle::truck`]): with distance alone priced
    /// it would send every truck out.
    pub const COST: Objective = Objective::Weighted {
        unserved_weight: 1_000_000_000_000_000,
        vehicle_weight: 0,
    };

    /// Lexicographic levels folded into one number for the search. The
    /// weights dominate any realistic route cost (< 1e12 units).
    pub fn weights(&self) -> (Units, Units) {
        match *self {
            Objective::Lexicographic => (1_000_000_000_000_000, 1_000_000_000_000),
            Objective::Weighted {
                unserved_weight,
                vehicle_weight,
            } => (unserved_weight, vehicle_weight),
        }
    }
}

/// A construction-time validation failure. Each names the entity, the field,
/// the offending value and what to do about it.
#[derive(Debug, Error, PartialEq)]
pub enum ModelError {
    /// No vehicles.
    #[error("fleet is empty: add at least one vehicle")]
    EmptyFleet,
    /// No profiles.
    #[error("no travel profile: give at least one distance/duration matrix pair")]
    NoProfile,
    /// A matrix with the wrong shape.
    #[error(
        "profile {profile} {matrix} matrix has {got} entries, expected {expected} ({n}x{n}): give one row and column per location"
    )]
    MatrixShape {
        /// Profile index.
        profile: usize,
        /// "distance" or "duration".
        matrix: &'static str,
        /// Entries given.
        got: usize,
        /// Entries expected.
        expected: usize,
        /// Locations.
        n: usize,
    },
    /// NaN, infinite or negative matrix entry.
    #[error(
        "profile {profile} {matrix} matrix entry {from}->{to} is {value}: entries must be finite and >= 0"
    )]
    BadMatrixEntry {
        /// Profile index.
        profile: usize,
        /// "distance" or "duration".
        matrix: &'static str,
        /// Row.
        from: usize,
        /// Column.
        to: usize,
        /// Value given.
        value: f64,
    },
    /// A location's travel to itself is not zero (breaks are taken in place, so this must hold).
    #[error(
        "profile {profile} {matrix} matrix diagonal entry {location} is {value}: travel from a location to itself must be 0"
    )]
    NonZeroDiagonal {
        /// Profile index.
        profile: usize,
        /// "distance" or "duration".
        matrix: &'static str,
        /// Location.
        location: usize,
        /// Value.
        value: Units,
    },
    /// Reference to a location outside the matrices.
    #[error(
        "{entity} field `location` is {location} but the matrices have {n} locations: use an index below {n}"
    )]
    UnknownLocation {
        /// e.g. "stop 'b17'".
        entity: String,
        /// Index given.
        location: usize,
        /// Locations available.
        n: usize,
    },
    /// Reference to a missing depot or profile.
    #[error(
        "{entity} field `{field}` is {index} but only {count} exist: use an index below {count}"
    )]
    UnknownReference {
        /// e.g. "vehicle 'v1'".
        entity: String,
        /// Field name.
        field: &'static str,
        /// Index given.
        index: usize,
        /// Count available.
        count: usize,
    },
    /// Demand/capacity vectors of inconsistent length.
    #[error(
        "{entity} field `{field}` has {got} dimensions but the instance uses {expected}: give one value per capacity dimension"
    )]
    DimensionMismatch {
        /// Entity.
        entity: String,
        /// Field.
        field: &'static str,
        /// Length given.
        got: usize,
        /// Expected length.
        expected: usize,
    },
    /// A negative quantity.
    #[error("{entity} field `{field}` is {value}: it must be >= 0")]
    Negative {
        /// Entity.
        entity: String,
        /// Field.
        field: &'static str,
        /// Value.
        value: Units,
    },
    /// `early > late`.
    #[error("{entity} field `{field}` is [{early}, {late}]: the start must not be after the end")]
    InvertedWindow {
        /// Entity.
        entity: String,
        /// Field.
        field: &'static str,
        /// Early.
        early: Units,
        /// Late.
        late: Units,
    },
    /// Demand larger than every compatible vehicle's capacity.
    #[error(
        "stop '{stop}' field `demand[{dim}]` is {demand} but the largest capacity of a vehicle that may serve it is {max_capacity}: split the stop or add a larger vehicle"
    )]
    DemandExceedsCapacity {
        /// Stop id.
        stop: String,
        /// Dimension.
        dim: usize,
        /// Demand.
        demand: Units,
        /// Largest capacity.
        max_capacity: Units,
    },
    /// No vehicle has the skills or stream.
    #[error(
        "stop '{stop}' field `{field}` cannot be matched by any vehicle: give a vehicle the skill/stream or drop the requirement"
    )]
    NoCompatibleVehicle {
        /// Stop id.
        stop: String,
        /// "skills" or "stream".
        field: &'static str,
    },
    /// Time window unreachable from every vehicle's depot within its shift.
    #[error(
        "stop '{stop}' field `windows` cannot be reached from any vehicle's start depot within its shift (earliest arrival {earliest_arrival}): widen the window or the shift"
    )]
    UnreachableWindow {
        /// Stop id.
        stop: String,
        /// Earliest arrival over all vehicles.
        earliest_arrival: Units,
    },
    /// Final disposal required but no site accepts the vehicle's streams.
    #[error(
        "vehicle '{vehicle}' field `final_disposal_required` is true but {reason}: add a disposal site or clear the flag"
    )]
    NoDisposalSite {
        /// Vehicle id.
        vehicle: String,
        /// Why.
        reason: &'static str,
    },
    /// More capacity dimensions than the planner supports.
    #[error(
        "vehicle '{vehicle}' field `capacity` has {dims} dimensions but at most {max} are supported: merge dimensions"
    )]
    TooManyDimensions {
        /// Vehicle id.
        vehicle: String,
        /// Given.
        dims: usize,
        /// Supported.
        max: usize,
    },
    /// A truck that starts fuller than it can be.
    #[error(
        "vehicle '{vehicle}' field `initial_load[{dim}]` is {load} but its capacity is {capacity}: a truck cannot start fuller than full; lower the load or raise the capacity"
    )]
    InitialLoadExceedsCapacity {
        /// Vehicle id.
        vehicle: String,
        /// Dimension.
        dim: usize,
        /// Load given.
        load: Units,
        /// Capacity in that dimension.
        capacity: Units,
    },
    /// Duplicate id.
    #[error("{kind} id '{id}' is used twice: ids must be unique")]
    DuplicateId {
        /// "stop", "vehicle", ...
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// Stream bit mask with more than one bit.
    #[error(
        "stop '{stop}' field `stream` is {value:#x}: a stop belongs to at most one stream (one bit)"
    )]
    MultiStream {
        /// Stop id.
        stop: String,
        /// Mask.
        value: Mask,
    },
}

/// A validated, immutable routing instance.
#[derive(Clone, Debug)]
pub struct Instance {
    profiles: Vec<Profile>,
    depots: Vec<Depot>,
    sites: Vec<DisposalSite>,
    stops: Vec<Stop>,
    vehicles: Vec<Vehicle>,
    objective: Objective,
    dims: usize,
}

impl Instance {
    /// Profiles (matrices).
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }
    /// Depots.
    pub fn depots(&self) -> &[Depot] {
        &self.depots
    }
    /// Disposal sites.
    pub fn sites(&self) -> &[DisposalSite] {
        &self.sites
    }
    /// Stops.
    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }
    /// Vehicles.
    pub fn vehicles(&self) -> &[Vehicle] {
        &self.vehicles
    }
    /// Objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }
    /// Number of capacity dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }
    /// The same instance with another objective (cheap to re-validate: the
    /// objective never affects feasibility).
    pub fn with_objective(mut self, objective: Objective) -> Self {
        self.objective = objective;
        self
    }
    /// The same instance with another fleet, re-validated.
    pub fn with_vehicles(self, vehicles: Vec<Vehicle>) -> Result<Self, ModelError> {
        let b = InstanceBuilder {
            profiles: Vec::new(),
            depots: self.depots,
            sites: self.sites,
            stops: self.stops,
            vehicles,
            objective: self.objective,
        };
        b.validate(self.profiles)
    }
}

/// Raw matrices as given by the caller, converted with `scale`.
#[derive(Clone, Debug)]
pub struct RawProfile {
    /// Row-major distances.
    pub distance: Vec<f64>,
    /// Row-major travel times.
    pub duration: Vec<f64>,
    /// Multiply by this and round to get units.
    pub scale: f64,
}

/// Collects parts and validates them in [`InstanceBuilder::build`].
#[derive(Clone, Debug, Default)]
pub struct InstanceBuilder {
    profiles: Vec<RawProfile>,
    depots: Vec<Depot>,
    sites: Vec<DisposalSite>,
    stops: Vec<Stop>,
    vehicles: Vec<Vehicle>,
    objective: Objective,
}

impl InstanceBuilder {
    /// Empty builder.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a profile (row-major `n*n` matrices; values are multiplied by `scale` and rounded).
    pub fn profile(mut self, distance: Vec<f64>, duration: Vec<f64>, scale: f64) -> Self {
        self.profiles.push(RawProfile {
            distance,
            duration,
            scale,
        });
        self
    }
    /// Adds a depot at a location.
    pub fn depot(mut self, id: impl Into<String>, location: usize) -> Self {
        self.depots.push(Depot {
            id: id.into(),
            location,
        });
        self
    }
    /// Adds a disposal site.
    pub fn site(mut self, site: DisposalSite) -> Self {
        self.sites.push(site);
        self
    }
    /// Adds a stop.
    pub fn stop(mut self, stop: Stop) -> Self {
        self.stops.push(stop);
        self
    }
    /// Adds stops.
    pub fn stops(mut self, stops: impl IntoIterator<Item = Stop>) -> Self {
        self.stops.extend(stops);
        self
    }
    /// Adds a vehicle.
    pub fn vehicle(mut self, vehicle: Vehicle) -> Self {
        self.vehicles.push(vehicle);
        self
    }
    /// Adds vehicles.
    pub fn vehicles(mut self, vehicles: impl IntoIterator<Item = Vehicle>) -> Self {
        self.vehicles.extend(vehicles);
        self
    }
    /// Sets the objective.
    pub fn objective(mut self, objective: Objective) -> Self {
        self.objective = objective;
        self
    }

    /// Validates and freezes the instance.
    pub fn build(self) -> Result<Instance, ModelError> {
        if self.profiles.is_empty() {
            return Err(ModelError::NoProfile);
        }
        let mut profiles = Vec::with_capacity(self.profiles.len());
        let n = {
            let len = self.profiles[0].distance.len();
            (len as f64).sqrt().round() as usize
        };
        for (p, raw) in self.profiles.iter().enumerate() {
            let conv = |values: &[f64], name: &'static str| -> Result<Matrix, ModelError> {
                if values.len() != n * n {
                    return Err(ModelError::MatrixShape {
                        profile: p,
                        matrix: name,
                        got: values.len(),
                        expected: n * n,
                        n,
                    });
                }
                let mut data = Vec::with_capacity(n * n);
                for (k, &v) in values.iter().enumerate() {
                    if !v.is_finite() || v < 0.0 {
                        return Err(ModelError::BadMatrixEntry {
                            profile: p,
                            matrix: name,
                            from: k / n,
                            to: k % n,
                            value: v,
                        });
                    }
                    data.push((v * raw.scale).round() as Units);
                }
                Ok(Matrix { n, data })
            };
            let distance = conv(&raw.distance, "distance")?;
            let duration = conv(&raw.duration, "duration")?;
            profiles.push(Profile { distance, duration });
        }
        let InstanceBuilder {
            depots,
            sites,
            stops,
            vehicles,
            objective,
            ..
        } = self;
        InstanceBuilder {
            profiles: Vec::new(),
            depots,
            sites,
            stops,
            vehicles,
            objective,
        }
        .validate(profiles)
    }

    fn validate(self, profiles: Vec<Profile>) -> Result<Instance, ModelError> {
        let InstanceBuilder {
            depots,
            sites,
            stops,
            vehicles,
            objective,
            ..
        } = self;
        if profiles.is_empty() {
            return Err(ModelError::NoProfile);
        }
        if vehicles.is_empty() {
            return Err(ModelError::EmptyFleet);
        }
        let n = profiles[0].distance.len();
        for (p, prof) in profiles.iter().enumerate() {
            for (m, name) in [(&prof.distance, "distance"), (&prof.duration, "duration")] {
                if m.len() != n {
                    return Err(ModelError::MatrixShape {
                        profile: p,
                        matrix: name,
                        got: m.len() * m.len(),
                        expected: n * n,
                        n,
                    });
                }
                if let Some(k) = m.data.iter().position(|&v| v < 0) {
                    return Err(ModelError::BadMatrixEntry {
                        profile: p,
                        matrix: name,
                        from: k / n,
                        to: k % n,
                        value: m.data[k] as f64,
                    });
                }
                if let Some(location) = (0..n).find(|&i| m.get(i, i) != 0) {
                    return Err(ModelError::NonZeroDiagonal {
                        profile: p,
                        matrix: name,
                        location,
                        value: m.get(location, location),
                    });
                }
            }
        }
        let loc = |entity: String, location: usize| -> Result<(), ModelError> {
            if location >= n {
                Err(ModelError::UnknownLocation {
                    entity,
                    location,
                    n,
                })
            } else {
                Ok(())
            }
        };
        let win = |entity: &str, field: &'static str, w: &TimeWindow| -> Result<(), ModelError> {
            if w.early > w.late {
                Err(ModelError::InvertedWindow {
                    entity: entity.to_string(),
                    field,
                    early: w.early,
                    late: w.late,
                })
            } else {
                Ok(())
            }
        };
        let neg = |entity: &str, field: &'static str, v: Units| -> Result<(), ModelError> {
            if v < 0 {
                Err(ModelError::Negative {
                    entity: entity.to_string(),
                    field,
                    value: v,
                })
            } else {
                Ok(())
            }
        };
        let mut seen = std::collections::HashSet::new();
        for d in &depots {
            loc(format!("depot '{}'", d.id), d.location)?;
            if !seen.insert(("depot", d.id.clone())) {
                return Err(ModelError::DuplicateId {
                    kind: "depot",
                    id: d.id.clone(),
                });
            }
        }
        for s in &sites {
            let e = format!("disposal site '{}'", s.id);
            loc(e.clone(), s.location)?;
            win(&e, "hours", &s.hours)?;
            neg(&e, "unload_time", s.unload_time)?;
            if !seen.insert(("site", s.id.clone())) {
                return Err(ModelError::DuplicateId {
                    kind: "disposal site",
                    id: s.id.clone(),
                });
            }
        }
        let dims = vehicles[0].capacity.len();
        if dims > MAX_DIMS {
            return Err(ModelError::TooManyDimensions {
                vehicle: vehicles[0].id.clone(),
                dims,
                max: MAX_DIMS,
            });
        }
        for v in &vehicles {
            let e = format!("vehicle '{}'", v.id);
            if !seen.insert(("vehicle", v.id.clone())) {
                return Err(ModelError::DuplicateId {
                    kind: "vehicle",
                    id: v.id.clone(),
                });
            }
            if v.capacity.len() != dims {
                return Err(ModelError::DimensionMismatch {
                    entity: e,
                    field: "capacity",
                    got: v.capacity.len(),
                    expected: dims,
                });
            }
            for &c in &v.capacity {
                neg(&e, "capacity", c)?;
            }
            if !v.initial_load.is_empty() && v.initial_load.len() != dims {
                return Err(ModelError::DimensionMismatch {
                    entity: e,
                    field: "initial_load",
                    got: v.initial_load.len(),
                    expected: dims,
                });
            }
            for (dim, (&load, &capacity)) in v.initial_load.iter().zip(&v.capacity).enumerate() {
                neg(&e, "initial_load", load)?;
                if load > capacity {
                    return Err(ModelError::InitialLoadExceedsCapacity {
                        vehicle: v.id.clone(),
                        dim,
                        load,
                        capacity,
                    });
                }
            }
            if let Some(rc) = &v.route_capacity
                && rc.len() != dims
            {
                return Err(ModelError::DimensionMismatch {
                    entity: e,
                    field: "route_capacity",
                    got: rc.len(),
                    expected: dims,
                });
            }
            if v.profile >= profiles.len() {
                return Err(ModelError::UnknownReference {
                    entity: e,
                    field: "profile",
                    index: v.profile,
                    count: profiles.len(),
                });
            }
            for (field, d) in [("start_depot", v.start_depot), ("end_depot", v.end_depot)] {
                if d >= depots.len() {
                    return Err(ModelError::UnknownReference {
                        entity: e,
                        field,
                        index: d,
                        count: depots.len(),
                    });
                }
            }
            win(&e, "shift", &v.shift)?;
            neg(&e, "fixed_cost", v.fixed_cost)?;
            neg(&e, "cost_per_distance", v.cost_per_distance)?;
            neg(&e, "cost_per_time", v.cost_per_time)?;
            if let Some(b) = &v.break_ {
                win(&e, "break.window", &b.window)?;
                neg(&e, "break.duration", b.duration)?;
            }
            if v.final_disposal_required {
                if v.max_disposal_trips == Some(0) {
                    return Err(ModelError::NoDisposalSite {
                        vehicle: v.id.clone(),
                        reason: "max_disposal_trips is 0",
                    });
                }
                if sites.is_empty() {
                    return Err(ModelError::NoDisposalSite {
                        vehicle: v.id.clone(),
                        reason: "the instance has no disposal site",
                    });
                }
            }
        }
        for s in &stops {
            let e = format!("stop '{}'", s.id);
            if !seen.insert(("stop", s.id.clone())) {
                return Err(ModelError::DuplicateId {
                    kind: "stop",
                    id: s.id.clone(),
                });
            }
            loc(e.clone(), s.location)?;
            if s.demand.len() != dims {
                return Err(ModelError::DimensionMismatch {
                    entity: e,
                    field: "demand",
                    got: s.demand.len(),
                    expected: dims,
                });
            }
            for &q in &s.demand {
                neg(&e, "demand", q)?;
            }
            neg(&e, "service", s.service)?;
            if let Some(p) = s.prize {
                neg(&e, "prize", p)?;
            }
            for w in &s.windows {
                win(&e, "windows", w)?;
            }
            if s.stream.count_ones() > 1 {
                return Err(ModelError::MultiStream {
                    stop: s.id.clone(),
                    value: s.stream,
                });
            }
            if !vehicles.iter().any(|v| v.skills & s.skills == s.skills) {
                return Err(ModelError::NoCompatibleVehicle {
                    stop: s.id.clone(),
                    field: "skills",
                });
            }
            let compat: Vec<&Vehicle> = vehicles
                .iter()
                .filter(|v| v.skills & s.skills == s.skills && v.streams & s.stream == s.stream)
                .collect();
            if compat.is_empty() {
                return Err(ModelError::NoCompatibleVehicle {
                    stop: s.id.clone(),
                    field: "stream",
                });
            }
            for d in 0..dims {
                let max_capacity = compat.iter().map(|v| v.capacity[d]).max().unwrap_or(0);
                if s.demand[d] > max_capacity {
                    return Err(ModelError::DemandExceedsCapacity {
                        stop: s.id.clone(),
                        dim: d,
                        demand: s.demand[d],
                        max_capacity,
                    });
                }
            }
            // Reachability: depart at shift start, arrive within a window,
            // serve, and get back before shift end.
            let mut earliest_arrival = FAR;
            let reachable = compat.iter().any(|v| {
                let prof = &profiles[v.profile];
                let from = depots[v.start_depot].location;
                let to = depots[v.end_depot].location;
                let arrive = v.shift.early.max(s.release) + prof.duration.get(from, s.location);
                earliest_arrival = earliest_arrival.min(arrive);
                let wins: Vec<TimeWindow> = if s.windows.is_empty() {
                    vec![TimeWindow::OPEN]
                } else {
                    s.windows.clone()
                };
                wins.iter().any(|w| {
                    let start = arrive.max(w.early);
                    start <= w.late
                        && start + s.service + prof.duration.get(s.location, to) <= v.shift.late
                })
            });
            if !reachable {
                return Err(ModelError::UnreachableWindow {
                    stop: s.id.clone(),
                    earliest_arrival,
                });
            }
        }
        Ok(Instance {
            profiles,
            depots,
            sites,
            stops,
            vehicles,
            objective,
            dims,
        })
    }
}
