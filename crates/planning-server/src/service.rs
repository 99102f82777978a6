//! The handlers: authenticate, convert, call the planning domain, convert back.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fillroute_clock::Clock;
use fillroute_planning::dashboard::{self, resolve_area};
use fillroute_planning::job::{self, PlanRequest, check_time_budget};
use fillroute_planning::network::NetworkCache;
use fillroute_planning::replan::{ReplanRequest, replan_from};
use fillroute_planning::view::{commit_plan, load_plan};
use fillroute_planning::{PlanSummary, PlanningError, ProgressFn, RiskPolicy};
use fillroute_proto::planner::v1 as pb;
use fillroute_proto::planner::v1::planner_service_server::PlannerService;
use fillroute_store::{BinId, PlanId, Store};
use futures::{FutureExt, Stream};
use std::panic::AssertUnwindSafe;
use tokio::sync::mpsc;
use tokio_stream::wrappers::{ReceiverStream, UnboundedReceiverStream};
use tonic::{Request, Response, Status};

use crate::auth::Tokens;
use crate::convert;
use crate::error::ApiError;

/// A server stream of messages.
pub type MessageStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// The service state: the store, the network cache, the tokens.
#[derive(Debug)]
pub struct PlannerApi {
    store: Store,
    cache: Arc<NetworkCache>,
    tokens: Tokens,
    clock: Clock,
}

impl PlannerApi {
    /// A service over `store`.
    pub fn new(store: Store, tokens: Tokens) -> Self {
        Self {
            store,
            cache: Arc::new(NetworkCache::default()),
            tokens,
            clock: Clock::System,
        }
    }

    /// Reads "now" (today's date, forecast time) from `clock` instead of the
    /// system clock: a scenario replay plans its simulated days this way.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reserves the plan's id, runs the planning job in the background and
    /// streams its progress: `Accepted` (with the id) at once, then steps,
    /// then `Done` or the job's error. The id is the job's name, so any
    /// replica can answer for it later: `GetPlan` finds it once it is done.
    async fn stream_job<F>(&self, job: F) -> Result<MessageStream<pb::PlanProgress>, Status>
    where
        F: FnOnce(
                Store,
                Arc<NetworkCache>,
                ProgressFn,
                PlanId,
            )
                -> futures::future::BoxFuture<'static, Result<PlanSummary, PlanningError>>
            + Send
            + 'static,
    {
        let plan = self
            .store
            .reserve_plan_id()
            .await
            .map_err(|e| ApiError::from(PlanningError::from(e)))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(Ok(pb::PlanProgress {
            event: Some(pb::plan_progress::Event::Accepted(
                pb::plan_progress::Accepted {
                    job_id: format!("plan-{plan}"),
                    plan_id: plan.0,
                },
            )),
        }));
        let progress_tx = tx.clone();
        let progress: ProgressFn = Arc::new(move |p| {
            let _ = progress_tx.send(Ok(convert::progress(&p)));
        });
        let (store, cache) = (self.store.clone(), Arc::clone(&self.cache));
        tokio::spawn(async move {
            // A panicking job is a bug, but the client must still learn that
            // its plan failed: the stream ends with INTERNAL, never plain OK.
            let result = match AssertUnwindSafe(job(store, cache, progress, plan))
                .catch_unwind()
                .await
            {
                Ok(result) => result,
                Err(panic) => Err(PlanningError::Internal(format!(
                    "planning job {plan} crashed: {}",
                    panic_message(panic.as_ref())
                ))),
            };
            let _ = tx.send(
                result
                    .map(|s| convert::done(&s))
                    .map_err(|e| Status::from(ApiError::from(e))),
            );
        });
        Ok(Box::pin(UnboundedReceiverStream::new(rx)))
    }
}

/// The text a panic carried, if it was a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl PlannerService for PlannerApi {
    type PlanDayStream = MessageStream<pb::PlanProgress>;
    type ReplanFromStream = MessageStream<pb::PlanProgress>;
    type WatchFillStream = MessageStream<pb::FillEvent>;

    async fn get_fleet_overview(
        &self,
        request: Request<pb::GetFleetOverviewRequest>,
    ) -> Reply<pb::GetFleetOverviewResponse> {
        self.tokens.role(request.metadata())?;
        let r = request.into_inner();
        let area = convert::area(r.area).map_err(ApiError::from)?;
        let (bins, next_page_token) =
            dashboard::overview(&self.store, &area, r.page_size.into(), &r.page_token)
                .await
                .map_err(ApiError::from)?;
        Ok(Response::new(pb::GetFleetOverviewResponse {
            bins: bins.iter().map(convert::bin).collect(),
            next_page_token,
        }))
    }

    async fn get_bin(&self, request: Request<pb::GetBinRequest>) -> Reply<pb::GetBinResponse> {
        self.tokens.role(request.metadata())?;
        let bin = convert::id("bin_id", request.into_inner().bin_id).map_err(ApiError::from)?;
        let detail = dashboard::bin_detail(&self.store, BinId(bin), self.clock.now())
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(convert::bin_detail(&detail)))
    }

    async fn plan_day(&self, request: Request<pb::PlanDayRequest>) -> Reply<Self::PlanDayStream> {
        self.tokens.planner(request.metadata(), "plan a day")?;
        let r = request.into_inner();
        let date = convert::date("date", &r.date)
            .and_then(|d| {
                d.ok_or_else(|| {
                    PlanningError::invalid("date", "(empty)", "give the day as YYYY-MM-DD")
                })
            })
            .map_err(ApiError::from)?;
        convert::name("region", &r.region).map_err(ApiError::from)?;
        let mut req = PlanRequest::new(r.region, date, r.time_budget_s);
        // proto3 sends an unset number as 0: that means the default rule;
        // anything else (negative, NaN, above 1) is validated as given.
        let defaults = RiskPolicy::default();
        let or_default = |given: f64, default: f64| if given == 0.0 { default } else { given };
        req.policy = RiskPolicy {
            risk_level: or_default(r.risk_level, defaults.risk_level),
            may_fill_threshold: or_default(r.may_fill_threshold, defaults.may_fill_threshold),
            overflow_cost: or_default(r.overflow_cost, defaults.overflow_cost),
            ..defaults
        };
        req.seed = r.seed;
        // A bad request, an unknown region and a day another job is planning
        // fail the call itself, not just the stream.
        let region = job::region(&self.store, &req.region)
            .await
            .map_err(ApiError::from)?;
        req.validate(job::local_today(self.clock.now(), &region))
            .map_err(ApiError::from)?;
        let lock = job::lock_day(&self.store, &region, date)
            .await
            .map_err(ApiError::from)?;
        let clock = self.clock.clone();
        let stream = self
            .stream_job(move |store, cache, progress, plan| {
                Box::pin(async move {
                    req.plan_id = Some(plan);
                    job::plan_day_locked(&store, &cache, &req, region, clock.now(), progress, lock)
                        .await
                })
            })
            .await?;
        Ok(Response::new(stream))
    }

    async fn get_plan(&self, request: Request<pb::GetPlanRequest>) -> Reply<pb::Plan> {
        self.tokens.role(request.metadata())?;
        let id = convert::id("plan_id", request.into_inner().plan_id).map_err(ApiError::from)?;
        let view = load_plan(&self.store, PlanId(id))
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(convert::plan(&view)))
    }

    async fn list_plans(
        &self,
        request: Request<pb::ListPlansRequest>,
    ) -> Reply<pb::ListPlansResponse> {
        self.tokens.role(request.metadata())?;
        let r = request.into_inner();
        let from = convert::date("from_date", &r.from_date).map_err(ApiError::from)?;
        let to = convert::date("to_date", &r.to_date).map_err(ApiError::from)?;
        let region = convert::name("region", &r.region).map_err(ApiError::from)?;
        let region = (!region.is_empty()).then_some(region);
        let plans = dashboard::list_plans(&self.store, region, from, to, i64::from(r.limit))
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::ListPlansResponse {
            plans: plans.iter().map(convert::header).collect(),
        }))
    }

    async fn commit_plan(&self, request: Request<pb::CommitPlanRequest>) -> Reply<pb::Plan> {
        self.tokens.planner(request.metadata(), "commit a plan")?;
        let id = convert::id("plan_id", request.into_inner().plan_id).map_err(ApiError::from)?;
        let view = commit_plan(&self.store, PlanId(id))
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(convert::plan(&view)))
    }

    async fn replan_from(
        &self,
        request: Request<pb::ReplanFromRequest>,
    ) -> Reply<Self::ReplanFromStream> {
        self.tokens.planner(request.metadata(), "re-plan a day")?;
        let r = request.into_inner();
        let mut req = ReplanRequest {
            plan: PlanId(convert::id("plan_id", r.plan_id).map_err(ApiError::from)?),
            done_stops: r.done_stop_ids,
            locked_stops: r.locked_stop_ids,
            broken_trucks: r.broken_truck_ids,
            as_of: convert::time_ms("as_of_ms", r.as_of_ms).map_err(ApiError::from)?,
            time_budget_s: r.time_budget_s,
            seed: 1,
            plan_id: None,
        };
        check_time_budget(req.time_budget_s).map_err(ApiError::from)?;
        let view = load_plan(&self.store, req.plan)
            .await
            .map_err(ApiError::from)?;
        if let Some(at) = req.as_of {
            convert::as_of_on(view.plan.date, at).map_err(ApiError::from)?;
        }
        let clock = self.clock.clone();
        let stream = self
            .stream_job(move |store, cache, progress, plan| {
                Box::pin(async move {
                    req.plan_id = Some(plan);
                    replan_from(&store, &cache, &req, clock.now(), progress).await
                })
            })
            .await?;
        Ok(Response::new(stream))
    }

    async fn watch_fill(
        &self,
        request: Request<pb::WatchFillRequest>,
    ) -> Reply<Self::WatchFillStream> {
        self.tokens.role(request.metadata())?;
        let r = request.into_inner();
        let area = convert::area(r.area).map_err(ApiError::from)?;
        let alert = convert::alert_fill(r.alert_fill).map_err(ApiError::from)?;
        let area = resolve_area(&self.store, &area)
            .await
            .map_err(ApiError::from)?;
        let poll = Duration::from_millis(if r.poll_ms == 0 {
            1000
        } else {
            u64::from(r.poll_ms.clamp(50, 60_000))
        });
        let (store, clock) = (self.store.clone(), self.clock.clone());
        let mut cursor = store.last_reading_id().await.map_err(ApiError::from)?;
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let mut missed = HashSet::new();
            loop {
                let polled = async {
                    let (mut events, next) =
                        dashboard::fill_events(&store, area, cursor, alert).await?;
                    let now = clock.now();
                    events.extend(
                        dashboard::missed_pickup_events(&store, area, now, &mut missed).await?,
                    );
                    Ok::<_, PlanningError>((events, next))
                };
                match polled.await {
                    Ok((events, next)) => {
                        cursor = next;
                        for e in &events {
                            if tx.send(Ok(convert::fill_event(e))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Status::from(ApiError::from(e)))).await;
                        return;
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = tx.closed() => return,
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
