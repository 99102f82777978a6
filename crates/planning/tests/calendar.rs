//! A region's collection calendar on the real Andorra network: built from the
//! road matrix, stored in PostGIS, planned with by the nightly job and shown
//! by the dashboard.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use fillroute_planning::PlanningError;
use fillroute_planning::calendar::{CalendarPolicy, build_calendar, next_sweep, show_calendar};
use fillroute_planning::dashboard::{AreaQuery, overview};
use fillroute_planning::job::{PlanRequest, plan_day};
use fillroute_planning::view::load_plan;

fn quiet() -> fillroute_planning::ProgressFn {
    Arc::new(|_| {})
}

/// Once a week per area: five areas for a Monday-to-Friday region.
fn weekly() -> CalendarPolicy {
    CalendarPolicy {
        max_per_week: 1,
        ..CalendarPolicy::default()
    }
}

#[tokio::test]
async fn with_a_calendar_the_day_sweeps_its_areas_and_collects_elsewhere_only_emergencies() {
    let city = common::andorra(15, 2).await;
    let report = build_calendar(city.store(), &city.cache, &city.region, weekly(), city.now)
        .await
        .unwrap();
    assert_eq!(report.areas.len(), 5, "{report:?}");
    assert_eq!(report.areas.iter().map(|a| a.bins).sum::<usize>(), 15);
    assert!(
        report
            .areas
            .iter()
            .all(|a| a.per_week == 1 && a.weekdays.iter().filter(|&&d| d).count() == 1)
    );
    assert_eq!(
        show_calendar(city.store(), &city.region).await.unwrap(),
        Some(report.clone()),
        "what was built is what is stored"
    );

    let mut day = city.tomorrow();
    while day.weekday().number_days_from_monday() >= 5 {
        day = day.next_day().unwrap();
    }
    let req = PlanRequest::new(&city.region, day, 0.5);
    let summary = plan_day(city.store(), &city.cache, &req, city.now, quiet())
        .await
        .unwrap();
    assert_eq!(summary.areas_today, Some(1), "{summary:?}");

    let bins = overview(city.store(), &AreaQuery::Region(city.region.clone()), 0, "")
        .await
        .unwrap()
        .0;
    let area_of: HashMap<_, _> = bins
        .iter()
        .map(|b| (b.id, b.sweep.expect("every bin has an area")))
        .collect();
    let weekday = usize::from(day.weekday().number_days_from_monday());
    let view = load_plan(city.store(), summary.plan).await.unwrap();
    let (mut outside_skipped, mut emergencies) = (0, 0);
    for d in &view.decisions {
        let sweep = area_of[&d.decision.bin];
        assert_eq!(sweep.weekdays, report.areas[sweep.area].weekdays);
        let today = sweep.weekdays[weekday];
        match (
            today,
            d.decision.action.as_str(),
            d.decision.reason.as_str(),
        ) {
            (true, _, reason) => assert_ne!(reason, "emergency", "{:?}", d.decision),
            (false, "must", reason) => {
                assert_eq!(reason, "emergency", "{:?}", d.decision);
                emergencies += 1;
            }
            (false, "skip", _) => outside_skipped += 1,
            (false, action, _) => panic!("{action} outside today's area: {:?}", d.decision),
        }
    }
    assert_eq!(summary.emergencies, emergencies);
    assert!(
        emergencies >= 1,
        "the bins that are already full cannot wait for their area's sweep"
    );
    assert!(
        outside_skipped >= 1,
        "bins that last until their area's sweep are left outside today's area"
    );
}

#[tokio::test]
async fn the_dashboard_shows_each_bins_area_and_its_next_sweep() {
    let city = common::andorra(6, 1).await;
    let none = overview(city.store(), &AreaQuery::Region(city.region.clone()), 0, "")
        .await
        .unwrap()
        .0;
    assert!(none.iter().all(|b| b.sweep.is_none()), "no calendar yet");

    let report = build_calendar(city.store(), &city.cache, &city.region, weekly(), city.now)
        .await
        .unwrap();
    let bins = overview(city.store(), &AreaQuery::Region(city.region.clone()), 0, "")
        .await
        .unwrap()
        .0;
    for b in &bins {
        let s = b.sweep.unwrap();
        assert_eq!(s.weekdays, report.areas[s.area].weekdays);
        // The region keeps UTC+1 all year.
        let local = (city.now + time::Duration::hours(1)).date();
        assert_eq!(s.local_today, local);
        let next = next_sweep(s.weekdays, s.local_today).unwrap();
        assert!((next - local).whole_days() < 7);
        assert!(s.weekdays[usize::from(next.weekday().number_days_from_monday())]);
    }
}

#[tokio::test]
async fn rebuilding_replaces_the_calendar_and_bad_parameters_are_refused_by_name() {
    let city = common::andorra(6, 1).await;
    build_calendar(city.store(), &city.cache, &city.region, weekly(), city.now)
        .await
        .unwrap();
    let twice = CalendarPolicy {
        max_per_week: 2,
        target_fill: 0.3,
        ..CalendarPolicy::default()
    };
    let report = build_calendar(city.store(), &city.cache, &city.region, twice, city.now)
        .await
        .unwrap();
    assert_eq!(report.policy, twice);
    assert_eq!(report.areas.iter().map(|a| a.bins).sum::<usize>(), 6);

    for (bad, field) in [
        (
            CalendarPolicy {
                target_fill: f64::NAN,
                ..CalendarPolicy::default()
            },
            "target_fill",
        ),
        (
            CalendarPolicy {
                max_per_week: 0,
                ..CalendarPolicy::default()
            },
            "max_per_week",
        ),
        (
            CalendarPolicy {
                emergency_risk: 1.5,
                ..CalendarPolicy::default()
            },
            "emergency_risk",
        ),
    ] {
        match build_calendar(city.store(), &city.cache, &city.region, bad, city.now).await {
            Err(PlanningError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(
        show_calendar(city.store(), &city.region)
            .await
            .unwrap()
            .unwrap()
            .policy,
        twice,
        "a refused rebuild leaves the stored calendar alone"
    );
    match build_calendar(city.store(), &city.cache, "atlantis", weekly(), city.now).await {
        Err(PlanningError::NotFound { what, .. }) => assert_eq!(what, "region"),
        other => panic!("{other:?}"),
    }
}
