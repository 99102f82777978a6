//! `fillroute.ingest.v1.IngestService`.

use crate::auth::{bearer, device_id};
use crate::error::IngestError;
use crate::pipeline::{Ingest, Upload};
use fillroute_proto::ingest::v1 as pb;
use fillroute_proto::ingest::v1::ingest_service_server::IngestService;
use fillroute_store::DeviceAuth;
use futures::StreamExt;
use std::sync::Arc;
use tonic::{Request, Response, Status, Streaming};

/// Response metadata of `Heartbeat`: the device's camera-health flags,
/// comma-separated (e.g. `undecodable_image`), absent when there are none.
pub const DEVICE_FLAGS_HEADER: &str = "x-device-flags";

/// The service, sharing one [`Ingest`] between connections.
#[derive(Debug, Clone)]
pub struct IngestApi {
    ingest: Arc<Ingest>,
}

impl IngestApi {
    /// Wraps the domain.
    pub fn new(ingest: Arc<Ingest>) -> Self {
        Self { ingest }
    }

    fn admin<T>(&self, request: &Request<T>) -> Result<(), IngestError> {
        self.ingest.authenticate_admin(bearer(request.metadata()))
    }

    async fn device<T>(&self, request: &Request<T>) -> Result<DeviceAuth, IngestError> {
        let metadata = request.metadata();
        self.ingest
            .authenticate_device(device_id(metadata), bearer(metadata))
            .await
    }
}

#[tonic::async_trait]
impl IngestService for IngestApi {
    async fn register_bin(
        &self,
        request: Request<pb::RegisterBinRequest>,
    ) -> Result<Response<pb::RegisterBinResponse>, Status> {
        self.admin(&request)?;
        let bin = self
            .ingest
            .register_bin(request.into_inner().into())
            .await?;
        Ok(Response::new(pb::RegisterBinResponse { bin_id: bin.0 }))
    }

    async fn register_device(
        &self,
        request: Request<pb::RegisterDeviceRequest>,
    ) -> Result<Response<pb::RegisterDeviceResponse>, Status> {
        self.admin(&request)?;
        let (id, token) = self
            .ingest
            .register_device(request.into_inner().into())
            .await?;
        Ok(Response::new(pb::RegisterDeviceResponse {
            device_id: id.to_string(),
            token,
        }))
    }

    async fn revoke_device(
        &self,
        request: Request<pb::RevokeDeviceRequest>,
    ) -> Result<Response<pb::RevokeDeviceResponse>, Status> {
        self.admin(&request)?;
        self.ingest
            .revoke_device(&request.into_inner().device_id)
            .await?;
        Ok(Response::new(pb::RevokeDeviceResponse {}))
    }

    async fn upload_image(
        &self,
        request: Request<pb::UploadImageRequest>,
    ) -> Result<Response<pb::UploadImageResponse>, Status> {
        let device = self.device(&request).await?;
        let upload: Upload = request.into_inner().into();
        let limit = self.ingest.config().max_unary_bytes;
        if upload.bytes.len() > limit {
            return Err(IngestError::TooLarge {
                size: upload.bytes.len() as u64,
                limit: limit as u64,
                fix: "send images this large with UploadImageChunks",
            }
            .into());
        }
        Ok(Response::new(
            self.ingest.upload(&device, upload).await?.into(),
        ))
    }

    async fn upload_image_chunks(
        &self,
        request: Request<Streaming<pb::UploadImageChunk>>,
    ) -> Result<Response<pb::UploadImageResponse>, Status> {
        let device = self.device(&request).await?;
        let mut stream = request.into_inner();
        let header = match stream.next().await {
            Some(Ok(pb::UploadImageChunk {
                part: Some(pb::upload_image_chunk::Part::Header(h)),
            })) => h,
            Some(Err(status)) => return Err(status),
            _ => {
                return Err(IngestError::invalid(
                    "part",
                    "data or nothing",
                    "send an UploadHeader first",
                )
                .into());
            }
        };
        self.ingest.check_size(&device, header.total_bytes)?;
        let mut bytes = Vec::with_capacity(header.total_bytes as usize);
        while let Some(chunk) = stream.next().await {
            match chunk?.part {
                Some(pb::upload_image_chunk::Part::Data(data)) => {
                    bytes.extend_from_slice(&data);
                    if bytes.len() as u64 > header.total_bytes {
                        return Err(IngestError::invalid(
                            "total_bytes",
                            header.total_bytes,
                            format!(
                                "more bytes arrived ({}+); announce the true size",
                                bytes.len()
                            ),
                        )
                        .into());
                    }
                }
                _ => {
                    return Err(IngestError::invalid(
                        "part",
                        "a second header",
                        "send one header, then data",
                    )
                    .into());
                }
            }
        }
        if bytes.len() as u64 != header.total_bytes {
            return Err(IngestError::invalid(
                "total_bytes",
                header.total_bytes,
                format!("only {} bytes arrived; send them all", bytes.len()),
            )
            .into());
        }
        let upload = Upload {
            bin: header.bin_id,
            captured_at_unix_ms: header.captured_at_unix_ms,
            bytes: bytes.into(),
        };
        Ok(Response::new(
            self.ingest.upload(&device, upload).await?.into(),
        ))
    }

    async fn report_reading(
        &self,
        request: Request<pb::ReportReadingRequest>,
    ) -> Result<Response<pb::ReportReadingResponse>, Status> {
        let device = self.device(&request).await?;
        let (reading_id, service_detected) = self
            .ingest
            .report_reading(&device, request.into_inner().into())
            .await?;
        Ok(Response::new(pb::ReportReadingResponse {
            reading_id,
            service_detected,
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<pb::HeartbeatRequest>,
    ) -> Result<Response<pb::HeartbeatResponse>, Status> {
        let device = self.device(&request).await?;
        let flags = self
            .ingest
            .heartbeat(&device, &request.into_inner().firmware)
            .await?;
        let now = time::OffsetDateTime::now_utc();
        let mut response = Response::new(pb::HeartbeatResponse {
            server_time_unix_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            max_upload_bytes: device.max_upload_bytes.max(0) as u32,
        });
        // The message has no field for them (yet): metadata reaches every client.
        if !flags.is_empty()
            && let Ok(value) = flags.join(",").parse()
        {
            response.metadata_mut().insert(DEVICE_FLAGS_HEADER, value);
        }
        Ok(response)
    }
}
