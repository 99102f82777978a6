//! `fillroute.vision.v1.VisionService`: thin handlers that read the deadline,
//! hand the image to the batcher and convert the reading back.

use crate::batcher::Batcher;
use crate::convert;
use crate::engine::ModelSummary;
use fillroute_proto::vision::v1 as pb;
use fillroute_proto::vision::v1::vision_service_server::VisionService;
use fillroute_vision::similar::SimilarityIndex;
use futures::{Stream, StreamExt};
use std::pin::Pin;
use std::sync::Arc;
use tonic::{Request, Response, Status, Streaming};

/// The gRPC face of the fill reader.
#[derive(Clone)]
pub struct VisionApi {
    batcher: Batcher,
    model: Arc<ModelSummary>,
    index: Arc<SimilarityIndex>,
}

impl VisionApi {
    /// Serves `model` through `batcher`, answering `FindSimilar` from `index`.
    pub fn new(batcher: Batcher, model: ModelSummary, index: SimilarityIndex) -> Self {
        Self {
            batcher,
            model: Arc::new(model),
            index: Arc::new(index),
        }
    }
}

/// Responses of `ClassifyFillStream`.
pub type ClassifyStream =
    Pin<Box<dyn Stream<Item = Result<pb::ClassifyFillResponse, Status>> + Send>>;

#[tonic::async_trait]
impl VisionService for VisionApi {
    async fn classify_fill(
        &self,
        request: Request<pb::ClassifyFillRequest>,
    ) -> Result<Response<pb::ClassifyFillResponse>, Status> {
        let deadline = convert::deadline_of(&request);
        let request = request.into_inner();
        let served = self.batcher.read(request.image, deadline).await?;
        Ok(Response::new(convert::classify_response(
            request.request_id,
            served,
            &self.model,
        )))
    }

    type ClassifyFillStreamStream = ClassifyStream;

    async fn classify_fill_stream(
        &self,
        request: Request<Streaming<pb::ClassifyFillRequest>>,
    ) -> Result<Response<Self::ClassifyFillStreamStream>, Status> {
        let deadline = convert::deadline_of(&request);
        let (batcher, model) = (self.batcher.clone(), Arc::clone(&self.model));
        // Up to one batch of a stream's images is in flight at once, so a
        // single stream fills batches too; `buffered` keeps request order.
        let responses = request
            .into_inner()
            .map(move |message| {
                let (batcher, model) = (batcher.clone(), Arc::clone(&model));
                async move {
                    let request = message?;
                    Ok(match batcher.read(request.image, deadline).await {
                        Ok(served) => {
                            convert::classify_response(request.request_id, served, &model)
                        }
                        Err(e) => convert::stream_error_response(request.request_id, e),
                    })
                }
            })
            .buffered(self.model.max_batch);
        Ok(Response::new(Box::pin(responses)))
    }

    async fn extract_features(
        &self,
        request: Request<pb::ExtractFeaturesRequest>,
    ) -> Result<Response<pb::ExtractFeaturesResponse>, Status> {
        let deadline = convert::deadline_of(&request);
        let request = request.into_inner();
        let served = self.batcher.read(request.image, deadline).await?;
        Ok(Response::new(convert::features_response(
            served.reading.features,
            request.l2_normalise,
            &self.model,
        )))
    }

    async fn find_similar(
        &self,
        request: Request<pb::FindSimilarRequest>,
    ) -> Result<Response<pb::FindSimilarResponse>, Status> {
        let deadline = convert::deadline_of(&request);
        let request = request.into_inner();
        let k = convert::neighbour_count(request.k)?;
        let served = self.batcher.read(request.image, deadline).await?;
        // Brute force over the start-up index: microseconds for thousands of images.
        let hits = self.index.query(&served.reading.features, k);
        Ok(Response::new(convert::similar_response(hits)))
    }

    async fn get_model_info(
        &self,
        _request: Request<pb::GetModelInfoRequest>,
    ) -> Result<Response<pb::ModelInfo>, Status> {
        Ok(Response::new(pb::ModelInfo::from(self.model.as_ref())))
    }
}
