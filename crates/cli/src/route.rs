//! `fillroute route ...`: check a solution file against an instance.
use std::path::PathBuf;

use clap::Subcommand;
use fillroute_planner::{check, io};

/// Route subcommands.
#[derive(Subcommand)]
pub enum RouteCmd {
    /// Recompute feasibility and cost of a CVRPLIB-style `.sol` file with the
    /// independent checker. Exits non-zero when infeasible.
    Check {
        /// Instance file (.vrp, Solomon .txt, Kim *_stop.txt).
        instance: PathBuf,
        /// Solution file (`Route #k: ...` lines, `Cost ...`).
        solution: PathBuf,
    },
}

/// Runs a route subcommand.
pub fn run(cmd: RouteCmd) -> anyhow::Result<()> {
    match cmd {
        RouteCmd::Check { instance, solution } => {
            let bi = io::read_instance(&instance)?;
            let sol = io::read_sol(&solution)?;
            let plan = io::solution_from_sol(&bi, &sol, &solution)?;
            let rep = check(&bi.instance, &plan);
            let cost = rep.distance as f64 / bi.scale;
            println!("instance {}", bi.name);
            println!("feasible {}", rep.feasible);
            println!("vehicles {}", rep.vehicles);
            if bi.scale == 1.0 {
                println!("distance {}", rep.distance);
            } else {
                println!("distance {cost:.4}");
            }
            if let Some(c) = sol.cost {
                println!("stated_cost {c}");
            }
            for v in &rep.violations {
                println!("violation {v}");
            }
            if !rep.feasible {
                anyhow::bail!(
                    "{}: {} violation(s)",
                    solution.display(),
                    rep.violations.len().max(1)
                );
            }
            Ok(())
        }
    }
}
