//! fillroute-proto (being written).
