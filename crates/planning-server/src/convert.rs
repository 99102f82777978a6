//! proto ⇄ domain, in one place: parse and validate requests at the edge,
//! render domain values into messages.

use fillroute_planning::calendar::next_sweep;
use fillroute_planning::dashboard::{AreaQuery, BinDetail, FillEvent};
use fillroute_planning::view::{PlanView, plan_geojson, stop_kind};
use fillroute_planning::{PlanSummary, PlanningError, Progress};
use fillroute_proto::planner::v1 as pb;
use fillroute_store::{BinOverview, PlanRow, Reading, ReadingSource, StopKind};
use time::{Date, OffsetDateTime};

/// Unix milliseconds, 0 for unknown.
pub fn ms(t: Option<OffsetDateTime>) -> i64 {
    t.map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Checks a name the caller sends: PostgreSQL refuses text with NUL in it,
/// which must read as the caller's mistake, not as an internal error.
pub fn name<'a>(field: &'static str, raw: &'a str) -> Result<&'a str, PlanningError> {
    if raw.contains('\0') {
        return Err(PlanningError::invalid(
            field,
            raw.escape_debug(),
            "remove the NUL character; give a region name from `fillroute fleet region list`",
        ));
    }
    Ok(raw)
}

/// Parses an area; it is required.
pub fn area(a: Option<pb::Area>) -> Result<AreaQuery, PlanningError> {
    match a.and_then(|a| a.area) {
        Some(pb::area::Area::Region(r)) => Ok(AreaQuery::Region(name("area.region", &r)?.into())),
        Some(pb::area::Area::Bbox(b)) => Ok(AreaQuery::BBox([
            b.min_lon, b.min_lat, b.max_lon, b.max_lat,
        ])),
        None => Err(PlanningError::invalid(
            "area",
            "(unset)",
            "set area.region or area.bbox",
        )),
    }
}

/// Parses a `YYYY-MM-DD` field; empty is `None`.
pub fn date(field: &'static str, raw: &str) -> Result<Option<Date>, PlanningError> {
    if raw.is_empty() {
        return Ok(None);
    }
    Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(Some)
    .map_err(|e| PlanningError::invalid(field, raw, format!("give a date as YYYY-MM-DD ({e})")))
}

/// Parses a positive id.
pub fn id(field: &'static str, raw: i64) -> Result<i64, PlanningError> {
    if raw > 0 {
        Ok(raw)
    } else {
        Err(PlanningError::invalid(field, raw, "give a positive id"))
    }
}

/// Unix milliseconds to a time; 0 is `None`.
pub fn time_ms(field: &'static str, raw: i64) -> Result<Option<OffsetDateTime>, PlanningError> {
    if raw == 0 {
        return Ok(None);
    }
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(raw) * 1_000_000)
        .map(Some)
        .map_err(|e| PlanningError::invalid(field, raw, format!("give Unix milliseconds ({e})")))
}

/// The fill at which `WatchFill` alerts; 0 (unset) means 0.9.
pub fn alert_fill(raw: f64) -> Result<f32, PlanningError> {
    if raw == 0.0 {
        Ok(0.9)
    } else if raw.is_finite() && raw > 0.0 && raw <= 2.0 {
        Ok(raw as f32)
    } else {
        Err(PlanningError::invalid(
            "alert_fill",
            raw,
            "give a fill fraction in (0, 2], e.g. 0.9, or 0 for the default 0.9",
        ))
    }
}

/// Checks that a re-plan's `as_of` can fall on the plan's `day` in any time
/// zone (UTC-12 to UTC+14), so a time years away is refused before the job
/// turns it into a shift that ends before it starts.
pub fn as_of_on(day: Date, as_of: OffsetDateTime) -> Result<OffsetDateTime, PlanningError> {
    let midnight = day.midnight().assume_utc();
    let (first, last) = (
        midnight - time::Duration::hours(14),
        midnight + time::Duration::hours(36),
    );
    if (first..=last).contains(&as_of) {
        Ok(as_of)
    } else {
        Err(PlanningError::invalid(
            "as_of_ms",
            ms(Some(as_of)),
            format!("give a time on the plan's day {day} (Unix milliseconds), or 0 for now"),
        ))
    }
}

/// A dashboard row.
pub fn bin(b: &BinOverview) -> pb::BinSummary {
    pb::BinSummary {
        bin_id: b.id.0,
        lon: b.lon,
        lat: b.lat,
        capacity_litres: b.capacity_litres,
        fill: b.fill.map(f64::from),
        observed_at_ms: ms(b.observed_at),
        full_at_ms: ms(b.full_at),
        rate_per_hour: b.rate_per_hour.map_or(0.0, f64::from),
        action: b.action.clone().unwrap_or_default(),
        reason: b.reason.clone().unwrap_or_default(),
        explanation: b.explanation.clone().unwrap_or_default(),
        health_flags: b.health_flags.clone(),
        last_service_ms: ms(b.last_service),
        calendar_area: b.sweep.map(|s| i32::try_from(s.area).unwrap_or(i32::MAX)),
        next_sweep_date: b
            .sweep
            .and_then(|s| next_sweep(s.weekdays, s.local_today))
            .map_or(String::new(), |d| d.to_string()),
    }
}

fn source(s: ReadingSource) -> &'static str {
    match s {
        ReadingSource::Camera => "camera",
        ReadingSource::Ultrasonic => "ultrasonic",
        ReadingSource::Weight => "weight",
        ReadingSource::Driver => "driver",
    }
}

/// A reading.
pub fn reading(r: &Reading) -> pb::Reading {
    pb::Reading {
        id: r.id,
        observed_at_ms: ms(Some(r.observed_at)),
        fill: f64::from(r.fill_fraction),
        source: source(r.source).into(),
        image_id: r.image.map(|i| i.to_string()).unwrap_or_default(),
    }
}

/// A bin's detail.
pub fn bin_detail(d: &BinDetail) -> pb::GetBinResponse {
    pb::GetBinResponse {
        bin: Some(bin(&d.bin)),
        readings: d.readings.iter().map(reading).collect(),
        services: d
            .services
            .iter()
            .map(|e| pb::ServiceEvent {
                serviced_at_ms: ms(Some(e.serviced_at)),
                detection: e.detection.as_str().to_owned(),
                fill_before: e.fill_before.map(f64::from),
                fill_after: e.fill_after.map(f64::from),
            })
            .collect(),
        forecast: d
            .curve
            .iter()
            .map(|p| pb::CurvePoint {
                at_ms: p.at.0 * 1000,
                expected: p.expected,
                lower: p.lower,
                upper: p.upper,
                p_overflow: p.p_overflow,
            })
            .collect(),
        decision_numbers_json: d
            .decision
            .as_ref()
            .map(|x| x.decision.numbers_json.clone())
            .unwrap_or_default(),
    }
}

/// A plan header.
pub fn header(p: &PlanRow) -> pb::PlanHeader {
    pb::PlanHeader {
        plan_id: p.id.0,
        region: p.region_name.clone(),
        date: p.date.to_string(),
        status: p.status.clone(),
        distance_m: p.distance_m,
        duration_s: p.duration_s,
        cost: p.objective,
        parent_plan_id: p.parent.map_or(0, |x| x.0),
        created_at_ms: ms(Some(p.created_at)),
    }
}

/// A whole plan.
pub fn plan(v: &PlanView) -> pb::Plan {
    let reasons: std::collections::HashMap<i64, &str> = v
        .decisions
        .iter()
        .map(|d| (d.decision.bin.0, d.decision.reason.as_str()))
        .collect();
    pb::Plan {
        header: Some(header(&v.plan)),
        routes: v
            .routes
            .iter()
            .map(|(r, stops)| pb::Route {
                route_id: r.id,
                truck_id: r.truck_id,
                truck_name: r.truck_name.clone(),
                distance_m: r.distance_m,
                duration_s: r.duration_s,
                load_litres: r.load_litres,
                geojson: r.geojson.clone(),
                stops: stops
                    .iter()
                    .map(|s| {
                        let (kind, ref_id) = stop_kind(s.kind);
                        let reason = match s.kind {
                            StopKind::Bin(b) => reasons.get(&b.0).copied().unwrap_or_default(),
                            _ => "",
                        }
                        .to_string();
                        pb::Stop {
                            stop_id: s.id,
                            seq: s.seq,
                            kind: kind.into(),
                            ref_id,
                            lon: s.at[0],
                            lat: s.at[1],
                            eta_ms: ms(s.eta),
                            departs_at_ms: ms(s.departs_at),
                            load_litres: s.load_litres,
                            expected_fill: s.expected_fill.map(f64::from),
                            status: s.status.clone(),
                            reason,
                        }
                    })
                    .collect(),
            })
            .collect(),
        unserved: v
            .unserved()
            .map(|d| pb::UnservedBin {
                bin_id: d.decision.bin.0,
                action: d.decision.action.as_str().into(),
                reason: d.decision.unserved_reason.clone().unwrap_or_default(),
                explanation: d.decision.explanation.clone(),
            })
            .collect(),
        geojson: plan_geojson(v).to_string(),
    }
}

/// A progress step of a planning job.
pub fn progress(p: &Progress) -> pb::PlanProgress {
    let (stage, fraction, message) = match p {
        Progress::Loaded { bins } => ("loaded", 0.02, format!("{bins} bins")),
        Progress::Decided { must, may, skip } => (
            "decided",
            0.1,
            format!("must {must}, may {may}, skip {skip}"),
        ),
        Progress::Matrix { points } => ("matrix", 0.05, format!("{points} points")),
        Progress::Solving { done, objective } => (
            "solving",
            0.1 + 0.85 * done,
            format!("best objective {objective}"),
        ),
        Progress::Written { plan } => ("written", 1.0, format!("plan {plan}")),
    };
    pb::PlanProgress {
        event: Some(pb::plan_progress::Event::Step(pb::plan_progress::Step {
            stage: stage.into(),
            fraction,
            message,
        })),
    }
}

/// The last message of a planning job.
pub fn done(s: &PlanSummary) -> pb::PlanProgress {
    pb::PlanProgress {
        event: Some(pb::plan_progress::Event::Done(pb::plan_progress::Done {
            plan_id: s.plan.0,
            routes: s.routes as u32,
            served: s.served as u32,
            must: s.must as u32,
            may: s.may as u32,
            skip: s.skip as u32,
            unserved_must: s.unserved_must.len() as u32,
            distance_m: s.distance_m,
            checked_routes: s.checked_routes as u32,
        })),
    }
}

/// A live event.
pub fn fill_event(e: &FillEvent) -> pb::FillEvent {
    use pb::fill_event::{Alert, Event};
    let alert = |bin: i64, kind: &str, message: String, at: OffsetDateTime| pb::FillEvent {
        bin_id: bin,
        event: Some(Event::Alert(Alert {
            bin_id: bin,
            kind: kind.into(),
            message,
            at_ms: ms(Some(at)),
        })),
    };
    match e {
        FillEvent::Reading(r) => pb::FillEvent {
            bin_id: r.bin.0,
            event: Some(Event::Reading(reading(r))),
        },
        FillEvent::OverflowRisk { bin, fill, at } => alert(
            bin.0,
            "overflow_risk",
            format!("bin {bin} is {:.0}% full", fill * 100.0),
            *at,
        ),
        FillEvent::MissedPickup(m) => alert(
            m.bin.0,
            "missed_pickup",
            format!(
                "truck {} was due at bin {} at {} (plan {}) and no service was seen",
                m.truck, m.bin, m.eta, m.plan
            ),
            m.eta,
        ),
        FillEvent::CameraHealth { bin, flags, at } => alert(
            bin.0,
            "camera_health",
            format!("camera of bin {bin}: {}", flags.join(", ")),
            *at,
        ),
    }
}
