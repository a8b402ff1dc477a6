//! Writes the demo snapshot to `examples/demo.fsm` (or the path given as the first argument).
//!
//! The content is built by `ekvsnap_runtime::demo::build_demo`; `tests/demo_snapshot.rs`
//! checks that the committed file is exactly what this generator writes.

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.fsm").to_string());
    let bytes = ekvsnap_runtime::demo::build_demo();
    std::fs::write(&path, &bytes)?;
    eprintln!("wrote {} ({} bytes)", path, bytes.len());
    Ok(())
}
