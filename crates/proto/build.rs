//! Compiles every versioned package under `proto/` into Rust, plus a file
//! descriptor set for gRPC reflection.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        "fillroute/vision/v1/vision.proto",
        "fillroute/ingest/v1/ingest.proto",
        "fillroute/planner/v1/planner.proto",
    ]
    .map(|f| root.join(f));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("fillroute_descriptor.bin"))
        .compile_protos(&files, std::slice::from_ref(&root))?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
