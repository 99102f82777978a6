//! fillroute-vision (being written).
