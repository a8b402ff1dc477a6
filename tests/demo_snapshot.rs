//! The committed demo snapshot is exactly what its generator writes.

#[test]
fn committed_demo_matches_generator() {
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.fsm"))
        .expect("examples/demo.fsm is committed");
    let generated = ekvsnap_runtime::demo::build_demo();
    assert!(
        committed == generated,
        "examples/demo.fsm is stale: run `cargo run --example make_demo`"
    );
}
