//! Client-side checks the servers' tests share (feature `testing`): which
//! services a server's reflection lists, in either protocol version.

use tonic::transport::Channel;

/// The reflection protocol version a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reflection {
    /// `grpc.reflection.v1` (grpcurl, current clients).
    V1,
    /// `grpc.reflection.v1alpha` (grpcio-reflection, older grpcurl).
    V1Alpha,
}

/// One ListServices exchange in reflection protocol module `$v` (the two
/// versions have the same messages in different packages).
macro_rules! list_over {
    ($v:ident, $channel:expr) => {{
        use tonic_reflection::pb::$v::ServerReflectionRequest;
        use tonic_reflection::pb::$v::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$v::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$v::server_reflection_response::MessageResponse;
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new($channel)
            .server_reflection_info(tokio_stream::iter([request]))
            .await?
            .into_inner();
        match answers.message().await?.and_then(|a| a.message_response) {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect::<Vec<_>>()
            }
            other => {
                return Err(tonic::Status::internal(format!(
                    "not a service list: {other:?}"
                )));
            }
        }
    }};
}

/// The services the server behind `channel` lists over `version`, sorted.
pub async fn list_services(
    channel: Channel,
    version: Reflection,
) -> Result<Vec<String>, tonic::Status> {
    let mut names = match version {
        Reflection::V1 => list_over!(v1, channel),
        Reflection::V1Alpha => list_over!(v1alpha, channel),
    };
    names.sort_unstable();
    Ok(names)
}
