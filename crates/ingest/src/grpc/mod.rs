//! The thin gRPC adapter over [`crate::pipeline`]: authenticate from
//! metadata, convert, call the domain, convert back. Every error reaches the
//! wire through the one `From<IngestError> for Status`.

pub mod convert;
pub mod service;
