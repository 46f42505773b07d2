//! Compiles every `.proto` under `proto/mediation` and writes the file descriptor set that the
//! gateway serves through reflection.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // Read at run time, not baked in with `env!`: a target folder shared by several checkouts
    // reuses one compiled build script, which must still read the protos of the checkout
    // being built.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut protos = Vec::new();
    collect_protos(&proto_root.join("mediation"), &mut protos)?;
    protos.sort();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("mediation_descriptor.bin"))
        .compile_with_config(config, &protos, &[proto_root.clone(), include])?;

    println!("cargo:rerun-if-changed={}", proto_root.display());
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
    Ok(())
}
