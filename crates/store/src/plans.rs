//! Plans: written whole in one transaction (plan, routes with geometry,
//! stops, and every bin's decision), replaced while draft, frozen once
//! committed (a trigger in the schema enforces it too).

use crate::fleet::RegionId;
use crate::{BinId, NetworkId, Store, StoreError};
use sqlx::Connection;
use time::{Date, OffsetDateTime};

/// The right to plan one region's day, held by one job across every replica:
/// a PostgreSQL advisory lock on a connection of its own. [`Self::release`]
/// gives it back at once; a dropped guard (or a dead process) closes the
/// connection, and the server releases the lock when it sees that.
#[derive(Debug)]
pub struct PlanDayLock {
    conn: sqlx::PgConnection,
    key: (i32, i32),
}

impl PlanDayLock {
    /// Releases the lock and closes its connection.
    pub async fn release(mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(self.key.0)
            .bind(self.key.1)
            .execute(&mut self.conn)
            .await?;
        self.conn.close().await?;
        Ok(())
    }
}

/// A plan's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanId(pub i64);

impl std::fmt::Display for PlanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a stop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Empty a bin.
    Bin(BinId),
    /// Unload at a disposal site.
    Disposal(i64),
    /// Leave or return to a depot.
    Depot(i64),
    /// The driver's break.
    Break,
}

/// One stop of a route to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlanStop {
    /// What it is.
    pub kind: StopKind,
    /// Arrival (service start for bins and sites).
    pub eta: OffsetDateTime,
    /// Departure.
    pub departs_at: OffsetDateTime,
    /// Litres on board after it.
    pub load_litres: i32,
    /// Forecast fill at the stop (bins).
    pub expected_fill: Option<f32>,
    /// `planned`, `done` or `locked`.
    pub status: String,
}

/// One truck's route to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlanRoute {
    /// The truck.
    pub truck_id: i64,
    /// Driven path `[lon, lat]` (at least two points).
    pub path: Vec<[f64; 2]>,
    /// Metres.
    pub distance_m: f64,
    /// Seconds from departure to return.
    pub duration_s: f64,
    /// Litres collected.
    pub load_litres: i32,
    /// Stops in order, depot to depot.
    pub stops: Vec<NewPlanStop>,
}

/// One bin's decision to write with the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The bin.
    pub bin: BinId,
    /// Collect (`must`), offer as optional (`may`) or leave (`skip`).
    pub action: fillroute_forecast::Action,
    /// Machine-readable reason.
    pub reason: String,
    /// Prize of an optional stop.
    pub prize: Option<f64>,
    /// Expected fill on the date.
    pub fill_now: f64,
    /// P(overflow before the next opportunity) if skipped.
    pub p_overflow: f64,
    /// The numbers behind it, as JSON text.
    pub numbers_json: String,
    /// One sentence for a dispatcher.
    pub explanation: String,
    /// Why a bin that should be collected is not on any route.
    pub unserved_reason: Option<String>,
}

/// A whole plan to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    /// An id reserved with [`Store::reserve_plan_id`] (so a caller could
    /// announce it before the plan existed), or `None` for a fresh one.
    pub id: Option<PlanId>,
    /// Region.
    pub region: RegionId,
    /// Local planning date.
    pub date: Date,
    /// Start of the planned day.
    pub horizon_start: OffsetDateTime,
    /// End of the planned day.
    pub horizon_end: OffsetDateTime,
    /// Network routed on, and its version.
    pub network: (NetworkId, i32),
    /// The plan this one continues (a re-plan), if any.
    pub parent: Option<PlanId>,
    /// Solver name and settings, for the record.
    pub solver: String,
    /// Request parameters as JSON text.
    pub params_json: String,
    /// Checker objective.
    pub objective: f64,
    /// Total metres.
    pub distance_m: f64,
    /// Total route seconds.
    pub duration_s: f64,
    /// Routes.
    pub routes: Vec<NewPlanRoute>,
    /// Every bin's decision.
    pub decisions: Vec<NewDecision>,
}

/// A stored plan's header.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// Its id.
    pub id: PlanId,
    /// Region id.
    pub region: RegionId,
    /// Region name.
    pub region_name: String,
    /// Local planning date.
    pub date: Date,
    /// `draft`, `committed`, ...
    pub status: String,
    /// When written.
    pub created_at: OffsetDateTime,
    /// When committed.
    pub committed_at: Option<OffsetDateTime>,
    /// Start of the planned day.
    pub horizon_start: OffsetDateTime,
    /// Checker objective.
    pub objective: f64,
    /// Total metres.
    pub distance_m: f64,
    /// Total route seconds.
    pub duration_s: f64,
    /// Network and version.
    pub network: (NetworkId, i32),
    /// Plan it continues.
    pub parent: Option<PlanId>,
    /// Solver.
    pub solver: String,
}

/// A stored route.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRouteRow {
    /// Its id.
    pub id: i64,
    /// Order in the plan.
    pub seq: i32,
    /// Truck id.
    pub truck_id: i64,
    /// Truck name.
    pub truck_name: String,
    /// Metres.
    pub distance_m: f64,
    /// Seconds.
    pub duration_s: f64,
    /// Litres collected.
    pub load_litres: i32,
    /// Path `[lon, lat]`.
    pub path: Vec<[f64; 2]>,
    /// The path as GeoJSON geometry text.
    pub geojson: String,
}

/// A stored stop with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStopRow {
    /// Its id.
    pub id: i64,
    /// Its route.
    pub route_id: i64,
    /// Order in the route.
    pub seq: i32,
    /// What it is.
    pub kind: StopKind,
    /// `[lon, lat]` (the depot's for breaks).
    pub at: [f64; 2],
    /// Arrival.
    pub eta: Option<OffsetDateTime>,
    /// Departure.
    pub departs_at: Option<OffsetDateTime>,
    /// Litres on board after it.
    pub load_litres: i32,
    /// Forecast fill.
    pub expected_fill: Option<f32>,
    /// `planned`, `done`, `locked`.
    pub status: String,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    /// The plan it belongs to.
    pub plan: PlanId,
    /// The decision as written.
    pub decision: NewDecision,
}

macro_rules! decision_row_from {
    ($r:expr) => {{
        let r = $r;
        decision_row_parts(
            r.plan_id,
            r.bin_id,
            r.action,
            r.reason,
            r.prize,
            r.fill_now,
            r.p_overflow,
            r.numbers,
            r.explanation,
            r.unserved_reason,
        )
    }};
}

fn kind_columns(k: StopKind) -> (&'static str, Option<i64>, Option<i64>, Option<i64>) {
    match k {
        StopKind::Bin(b) => ("bin", Some(b.0), None, None),
        StopKind::Disposal(s) => ("disposal", None, Some(s), None),
        StopKind::Depot(d) => ("depot", None, None, Some(d)),
        StopKind::Break => ("break", None, None, None),
    }
}

impl Store {
    /// Takes the planning lock of `region`'s `date`, or `None` when another
    /// job (on any replica) holds it. Two concurrent plans of one day would
    /// otherwise both finish, and the later one would delete the earlier
    /// one's draft under its caller.
    pub async fn try_lock_plan_day(
        &self,
        region: RegionId,
        date: Date,
    ) -> Result<Option<PlanDayLock>, StoreError> {
        let mut conn = sqlx::PgConnection::connect_with(&self.pool.connect_options()).await?;
        // The two-int4 key space: region id (folded into 31 bits) and day.
        let key = ((region.0 & 0x7fff_ffff) as i32, date.to_julian_day());
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(key.0)
            .bind(key.1)
            .fetch_one(&mut conn)
            .await?;
        if got {
            Ok(Some(PlanDayLock { conn, key }))
        } else {
            conn.close().await?;
            Ok(None)
        }
    }

    /// Takes a fresh plan id from the plans' sequence without writing a plan:
    /// a planning call can name its plan at once and write it later with
    /// [`NewPlan::id`]. An id whose plan is never written is simply unused.
    pub async fn reserve_plan_id(&self) -> Result<PlanId, StoreError> {
        let id = sqlx::query_scalar!(
            r#"SELECT nextval(pg_get_serial_sequence('plans', 'id')) AS "id!""#
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(PlanId(id))
    }

    /// Writes `plan` in one transaction. A nightly plan (no parent) replaces
    /// the draft of its region and date; if that date already has a
    /// committed plan nothing is written and [`StoreError::Conflict`] says so.
    pub async fn save_plan(&self, plan: &NewPlan) -> Result<PlanId, StoreError> {
        let mut tx = self.pool.begin().await?;
        if plan.parent.is_none() {
            // Serialise nightly runs of one region and date on the region row.
            sqlx::query!(
                "SELECT id FROM regions WHERE id = $1 FOR UPDATE",
                plan.region.0
            )
            .fetch_optional(&mut *tx)
            .await?;
            let committed = sqlx::query_scalar!(
                r#"SELECT id FROM plans WHERE region_id = $1 AND plan_date = $2 AND parent_plan_id IS NULL
                     AND status <> 'draft' AND status <> 'cancelled' LIMIT 1"#,
                plan.region.0,
                plan.date
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = committed {
                return Err(StoreError::Conflict(format!(
                    "plan {id} for {} is already committed and is never replaced; use ReplanFrom to change the day",
                    plan.date
                )));
            }
            sqlx::query!(
                r#"DELETE FROM plans WHERE region_id = $1 AND plan_date = $2 AND status = 'draft' AND parent_plan_id IS NULL"#,
                plan.region.0,
                plan.date
            )
            .execute(&mut *tx)
            .await?;
        }
        let id = sqlx::query_scalar!(
            r#"INSERT INTO plans (id, horizon_start, horizon_end, objective, solver, params, region_id, plan_date,
                                  network_id, network_version, parent_plan_id, distance_m, duration_s)
               VALUES (coalesce($13, nextval(pg_get_serial_sequence('plans', 'id'))),
                       $1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10, $11, $12) RETURNING id"#,
            plan.horizon_start,
            plan.horizon_end,
            plan.objective,
            plan.solver,
            plan.params_json,
            plan.region.0,
            plan.date,
            plan.network.0.0,
            plan.network.1,
            plan.parent.map(|p| p.0),
            plan.distance_m,
            plan.duration_s,
            plan.id.map(|p| p.0)
        )
        .fetch_one(&mut *tx)
        .await?;
        for (seq, r) in plan.routes.iter().enumerate() {
            let lon: Vec<f64> = r.path.iter().map(|p| p[0]).collect();
            let lat: Vec<f64> = r.path.iter().map(|p| p[1]).collect();
            let route_id = sqlx::query_scalar!(
                r#"INSERT INTO plan_routes (plan_id, truck_id, seq, geom, distance_m, duration_s, load_litres)
                   VALUES ($1, $2, $3, ST_SetSRID(ST_MakeLine(ARRAY(
                       SELECT ST_MakePoint(u.x, u.y) FROM UNNEST($4::float8[], $5::float8[]) WITH ORDINALITY AS u(x, y, o) ORDER BY u.o)), 4326),
                       $6, $7, $8)
                   RETURNING id"#,
                id,
                r.truck_id,
                seq as i32,
                &lon,
                &lat,
                r.distance_m,
                r.duration_s,
                r.load_litres
            )
            .fetch_one(&mut *tx)
            .await?;
            let mut kind = Vec::new();
            let (mut bin, mut site, mut depot) = (Vec::new(), Vec::new(), Vec::new());
            let (mut eta, mut departs, mut load, mut fill, mut status) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for s in &r.stops {
                let (k, b, si, d) = kind_columns(s.kind);
                kind.push(k.to_owned());
                bin.push(b.unwrap_or(0));
                site.push(si.unwrap_or(0));
                depot.push(d.unwrap_or(0));
                eta.push(s.eta);
                departs.push(s.departs_at);
                load.push(s.load_litres);
                fill.push(s.expected_fill.unwrap_or(-1.0));
                status.push(s.status.clone());
            }
            sqlx::query!(
                r#"INSERT INTO plan_stops (route_id, seq, kind, bin_id, disposal_site_id, depot_id, eta, departs_at,
                                           load_litres, expected_fill, status)
                   SELECT $1, u.o - 1, u.k, NULLIF(u.b, 0), NULLIF(u.s, 0), NULLIF(u.d, 0), u.e, u.dep, u.l,
                          NULLIF(u.f, -1), u.st
                   FROM UNNEST($2::text[], $3::int8[], $4::int8[], $5::int8[], $6::timestamptz[], $7::timestamptz[],
                               $8::int4[], $9::float4[], $10::text[]) WITH ORDINALITY AS u(k, b, s, d, e, dep, l, f, st, o)"#,
                route_id,
                &kind,
                &bin,
                &site,
                &depot,
                &eta,
                &departs,
                &load,
                &fill,
                &status
            )
            .execute(&mut *tx)
            .await?;
        }
        let d = &plan.decisions;
        let bins: Vec<i64> = d.iter().map(|x| x.bin.0).collect();
        let actions: Vec<String> = d.iter().map(|x| x.action.as_str().to_owned()).collect();
        let reasons: Vec<String> = d.iter().map(|x| x.reason.clone()).collect();
        let prizes: Vec<f64> = d.iter().map(|x| x.prize.unwrap_or(-1.0)).collect();
        let fills: Vec<f64> = d.iter().map(|x| x.fill_now).collect();
        let risks: Vec<f64> = d.iter().map(|x| x.p_overflow).collect();
        let numbers: Vec<String> = d.iter().map(|x| x.numbers_json.clone()).collect();
        let texts: Vec<String> = d.iter().map(|x| x.explanation.clone()).collect();
        let unserved: Vec<String> = d
            .iter()
            .map(|x| x.unserved_reason.clone().unwrap_or_default())
            .collect();
        sqlx::query!(
            r#"INSERT INTO plan_decisions (plan_id, bin_id, action, reason, prize, fill_now, p_overflow, numbers,
                                           explanation, unserved_reason)
               SELECT $1, u.b, u.a, u.r, NULLIF(u.p, -1), u.f, u.po, u.n::jsonb, u.e, NULLIF(u.un, '')
               FROM UNNEST($2::int8[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::text[],
                           $9::text[], $10::text[]) AS u(b, a, r, p, f, po, n, e, un)"#,
            id,
            &bins,
            &actions,
            &reasons,
            &prizes,
            &fills,
            &risks,
            &numbers,
            &texts,
            &unserved
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PlanId(id))
    }

    /// A plan's header.
    pub async fn plan(&self, id: PlanId) -> Result<Option<PlanRow>, StoreError> {
        let r = sqlx::query!(
            r#"SELECT p.id, p.region_id AS "region_id!", g.name AS region_name, p.plan_date AS "plan_date!", p.status,
                      p.created_at, p.committed_at, p.horizon_start, coalesce(p.objective, 0) AS "objective!",
                      p.distance_m, p.duration_s, p.network_id AS "network_id!", p.network_version AS "network_version!",
                      p.parent_plan_id, coalesce(p.solver, '') AS "solver!"
               FROM plans p JOIN regions g ON g.id = p.region_id WHERE p.id = $1"#,
            id.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| PlanRow {
            id: PlanId(r.id),
            region: RegionId(r.region_id),
            region_name: r.region_name,
            date: r.plan_date,
            status: r.status,
            created_at: r.created_at,
            committed_at: r.committed_at,
            horizon_start: r.horizon_start,
            objective: r.objective,
            distance_m: r.distance_m,
            duration_s: r.duration_s,
            network: (NetworkId(r.network_id), r.network_version),
            parent: r.parent_plan_id.map(PlanId),
            solver: r.solver,
        }))
    }

    /// Plans of a region (or all) whose date is in `[from, to]`, newest first.
    pub async fn list_plans(
        &self,
        region: Option<RegionId>,
        from: Date,
        to: Date,
        limit: i64,
    ) -> Result<Vec<PlanRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT p.id, p.region_id AS "region_id!", g.name AS region_name, p.plan_date AS "plan_date!", p.status,
                      p.created_at, p.committed_at, p.horizon_start, coalesce(p.objective, 0) AS "objective!",
                      p.distance_m, p.duration_s, p.network_id AS "network_id!", p.network_version AS "network_version!",
                      p.parent_plan_id, coalesce(p.solver, '') AS "solver!"
               FROM plans p JOIN regions g ON g.id = p.region_id
               WHERE ($1::int8 IS NULL OR p.region_id = $1) AND p.plan_date BETWEEN $2 AND $3
               ORDER BY p.plan_date DESC, p.created_at DESC, p.id DESC LIMIT $4"#,
            region.map(|r| r.0),
            from,
            to,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PlanRow {
                id: PlanId(r.id),
                region: RegionId(r.region_id),
                region_name: r.region_name,
                date: r.plan_date,
                status: r.status,
                created_at: r.created_at,
                committed_at: r.committed_at,
                horizon_start: r.horizon_start,
                objective: r.objective,
                distance_m: r.distance_m,
                duration_s: r.duration_s,
                network: (NetworkId(r.network_id), r.network_version),
                parent: r.parent_plan_id.map(PlanId),
                solver: r.solver,
            })
            .collect())
    }

    /// A plan's routes, in order, with their paths.
    pub async fn plan_routes(&self, id: PlanId) -> Result<Vec<PlanRouteRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT r.id, r.seq, r.truck_id, t.name AS truck_name, r.distance_m, r.duration_s, r.load_litres,
                      ARRAY(SELECT ST_X(d.geom) FROM ST_DumpPoints(r.geom) d ORDER BY d.path) AS "lon!",
                      ARRAY(SELECT ST_Y(d.geom) FROM ST_DumpPoints(r.geom) d ORDER BY d.path) AS "lat!",
                      coalesce(ST_AsGeoJSON(r.geom), 'null') AS "geojson!"
               FROM plan_routes r JOIN trucks t ON t.id = r.truck_id WHERE r.plan_id = $1 ORDER BY r.seq"#,
            id.0
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PlanRouteRow {
                id: r.id,
                seq: r.seq,
                truck_id: r.truck_id,
                truck_name: r.truck_name,
                distance_m: r.distance_m,
                duration_s: r.duration_s,
                load_litres: r.load_litres,
                path: r.lon.into_iter().zip(r.lat).map(|(x, y)| [x, y]).collect(),
                geojson: r.geojson,
            })
            .collect())
    }

    /// A plan's stops, by route then order, with positions.
    pub async fn plan_stops(&self, id: PlanId) -> Result<Vec<PlanStopRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT s.id, s.route_id, s.seq, s.kind, s.bin_id, s.disposal_site_id, s.depot_id, s.eta, s.departs_at,
                      s.load_litres, s.expected_fill, s.status,
                      ST_X(coalesce(b.geom, ds.geom, dp.geom, hd.geom)) AS "lon!",
                      ST_Y(coalesce(b.geom, ds.geom, dp.geom, hd.geom)) AS "lat!"
               FROM plan_stops s JOIN plan_routes r ON r.id = s.route_id JOIN trucks t ON t.id = r.truck_id
               JOIN depots hd ON hd.id = t.depot_id
               LEFT JOIN bins b ON b.id = s.bin_id LEFT JOIN disposal_sites ds ON ds.id = s.disposal_site_id
               LEFT JOIN depots dp ON dp.id = s.depot_id
               WHERE r.plan_id = $1 ORDER BY r.seq, s.seq"#,
            id.0
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PlanStopRow {
                id: r.id,
                route_id: r.route_id,
                seq: r.seq,
                kind: match (r.kind.as_str(), r.bin_id, r.disposal_site_id, r.depot_id) {
                    ("bin", Some(b), _, _) => StopKind::Bin(BinId(b)),
                    ("disposal", _, Some(s), _) => StopKind::Disposal(s),
                    ("depot", _, _, Some(d)) => StopKind::Depot(d),
                    _ => StopKind::Break,
                },
                at: [r.lon, r.lat],
                eta: r.eta,
                departs_at: r.departs_at,
                load_litres: r.load_litres,
                expected_fill: r.expected_fill,
                status: r.status,
            })
            .collect())
    }

    /// A plan's decisions, by bin.
    pub async fn plan_decisions(&self, id: PlanId) -> Result<Vec<DecisionRow>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT plan_id, bin_id, action, reason, prize, fill_now, p_overflow, numbers::text AS "numbers!",
                      explanation, unserved_reason
               FROM plan_decisions WHERE plan_id = $1 ORDER BY bin_id"#,
            id.0
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| decision_row_from!(r)).collect())
    }

    /// A bin's latest decision (by plan date, then plan creation).
    pub async fn latest_decision(&self, bin: BinId) -> Result<Option<DecisionRow>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT d.plan_id, d.bin_id, d.action, d.reason, d.prize, d.fill_now, d.p_overflow,
                      d.numbers::text AS "numbers!", d.explanation, d.unserved_reason
               FROM plan_decisions d JOIN plans p ON p.id = d.plan_id
               WHERE d.bin_id = $1 ORDER BY p.plan_date DESC, p.created_at DESC LIMIT 1"#,
            bin.0
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| decision_row_from!(r)))
    }

    /// Draft → committed. A committed plan stays as it is;
    /// [`StoreError::Conflict`] when the plan is not a draft.
    pub async fn commit_plan(&self, id: PlanId) -> Result<(), StoreError> {
        let done = sqlx::query!(
            "UPDATE plans SET status = 'committed', committed_at = now() WHERE id = $1 AND status = 'draft'",
            id.0
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        match sqlx::query_scalar!("SELECT status FROM plans WHERE id = $1", id.0)
            .fetch_optional(&self.pool)
            .await?
        {
            None => Err(StoreError::NotFound {
                what: "plan",
                id: id.to_string(),
            }),
            Some(status) => Err(StoreError::Conflict(format!(
                "plan {id} is {status}, not draft; only a draft can be committed"
            ))),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn decision_row_parts(
    plan_id: i64,
    bin_id: i64,
    action: String,
    reason: String,
    prize: Option<f64>,
    fill_now: f64,
    p_overflow: f64,
    numbers: String,
    explanation: String,
    unserved_reason: Option<String>,
) -> DecisionRow {
    DecisionRow {
        plan: PlanId(plan_id),
        decision: NewDecision {
            bin: BinId(bin_id),
            // The schema's CHECK allows only the three spellings.
            action: fillroute_forecast::Action::parse(&action)
                .unwrap_or(fillroute_forecast::Action::Skip),
            reason,
            prize,
            fill_now,
            p_overflow,
            numbers_json: numbers,
            explanation,
            unserved_reason,
        },
    }
}
