//! Generated gRPC types for fillroute's versioned protobuf packages, and
//! nothing else: domain crates never see these types; thin adapters convert.
#![allow(missing_docs, clippy::all)]

/// `fillroute.vision.v1`: reading bin-camera images.
pub mod vision {
    /// Version 1 of the vision API.
    pub mod v1 {
        tonic::include_proto!("fillroute.vision.v1");
    }
}

/// `fillroute.ingest.v1`: devices uploading images and readings.
pub mod ingest {
    /// Version 1 of the ingestion API.
    pub mod v1 {
        tonic::include_proto!("fillroute.ingest.v1");
    }
}

/// `fillroute.planner.v1`: the fleet dashboard and planning API.
pub mod planner {
    /// Version 1 of the planner API.
    pub mod v1 {
        tonic::include_proto!("fillroute.planner.v1");
    }
}

/// Encoded file descriptor set of every package, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("fillroute_descriptor");
