//! fillroute-planner (being written).
