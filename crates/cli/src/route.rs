//! `fillroute route ...`: check a solution file against an instance.
use std::path::PathBuf;

use clap::Subcommand;
use fillroute_planner::io;

/// Route subcommands.
#[derive(Subcommand)]
pub enum RouteCmd {
    /// Recompute feasibility and cost of a CVRPLIB-style `.sol` file with the
    /// independent checker, in the file's own numbering. Exits non-zero when
    /// infeasible or when the stated `Cost` is not the cost of the routes.
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
            let checked = io::check_sol(&bi, &sol, &solution)?;
            let rep = &checked.report;
            println!("instance {}", bi.name);
            println!("feasible {}", rep.feasible);
            println!("vehicles {}", rep.vehicles);
            println!("distance {}", checked.cost_text());
            if let Some(c) = sol.cost {
                println!("stated_cost {c}");
            }
            for v in &rep.violations {
                println!("violation {v}");
            }
            let mismatch = checked.cost_mismatch();
            let mut problems = Vec::new();
            if !rep.feasible {
                problems.push(format!("{} violation(s)", rep.violations.len().max(1)));
            }
            if let Some(m) = mismatch {
                problems.push(m);
            }
            if !problems.is_empty() {
                anyhow::bail!("{}: {}", solution.display(), problems.join("; "));
            }
            Ok(())
        }
    }
}
