//! fillroute-lidcam (being written).
