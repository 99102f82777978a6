//! Proto ↔ domain conversions.

use crate::pipeline::{RegisterBin, RegisterDevice, Report, Upload, UploadReceipt};
use fillroute_proto::ingest::v1 as pb;
use fillroute_store::ReadingSource;

impl From<pb::RegisterBinRequest> for RegisterBin {
    fn from(r: pb::RegisterBinRequest) -> Self {
        Self {
            lon: r.lon,
            lat: r.lat,
            capacity_litres: r.capacity_litres,
            waste_stream: r.waste_stream,
            service_time_s: r.service_time_s,
            container_type: r.container_type,
            customer: r.customer,
            time_windows: r
                .time_windows
                .into_iter()
                .map(|w| (w.weekday, w.opens_s, w.closes_s))
                .collect(),
            fill_rate_prior: r.fill_rate_prior,
            fill_rate_prior_log_sd: r.fill_rate_prior_log_sd,
        }
    }
}

impl From<pb::RegisterDeviceRequest> for RegisterDevice {
    fn from(r: pb::RegisterDeviceRequest) -> Self {
        Self {
            bin: r.bin_id,
            firmware: r.firmware,
            cadence_s: r.cadence_s,
            max_upload_bytes: r.max_upload_bytes,
            uploads_per_minute: r.uploads_per_minute,
        }
    }
}

impl From<pb::UploadImageRequest> for Upload {
    fn from(r: pb::UploadImageRequest) -> Self {
        Self {
            bin: r.bin_id,
            captured_at_unix_ms: r.captured_at_unix_ms,
            bytes: r.image.into(),
        }
    }
}

impl From<UploadReceipt> for pb::UploadImageResponse {
    fn from(r: UploadReceipt) -> Self {
        Self {
            image_id: r.image.to_string(),
            duplicate: r.duplicate,
            sha256: r.sha256,
        }
    }
}

impl From<pb::ReportReadingRequest> for Report {
    fn from(r: pb::ReportReadingRequest) -> Self {
        let source = match pb::ReadingSource::try_from(r.source) {
            Ok(pb::ReadingSource::Ultrasonic) => Some(ReadingSource::Ultrasonic),
            Ok(pb::ReadingSource::Weight) => Some(ReadingSource::Weight),
            Ok(pb::ReadingSource::Driver) => Some(ReadingSource::Driver),
            _ => None,
        };
        Self {
            bin: r.bin_id,
            observed_at_unix_ms: r.observed_at_unix_ms,
            fill_fraction: r.fill_fraction,
            source,
            emptied: r.emptied,
        }
    }
}
