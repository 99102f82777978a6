//! fillroute-roads (being written).
