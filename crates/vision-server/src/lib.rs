//! fillroute-vision-server (being written).
