//! Malformed specs are build errors that name the spec file, the family and the field.
//!
//! Each `tests/ui/*.rs` runs `check_specs!` on a malformed spec under `tests/ui/specs/` and
//! pins the error in its `.stderr`; `tests/ui/pass/` checks that the real `spec/` validates.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test spec_errors`.

#[test]
fn spec_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// The clap arguments generated from the real specs (`OUT_DIR/adapter_args.rs`, the file
/// `src/cli.rs` includes) parse every declared flag and convert to the runtime's options.
mod generated_cli {
    include!(concat!(env!("OUT_DIR"), "/adapter_args.rs"));

    use clap::Parser;
    use ekvsnap_runtime::options::{AdapterOptions, OptionKind, OPTION_FLAGS};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        adapter: AdapterArgs,
    }

    fn parse(args: &[&str]) -> Result<AdapterOptions, String> {
        let cli = Cli::try_parse_from(std::iter::once("ekvsnap").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.adapter.to_options()
    }

    #[test]
    fn defaults_match_the_runtime_defaults() {
        assert_eq!(parse(&[]).unwrap(), AdapterOptions::default());
        assert_eq!(
            AdapterArgs::default().to_options().unwrap(),
            AdapterOptions::default()
        );
    }

    #[test]
    fn every_declared_flag_parses() {
        for info in OPTION_FLAGS {
            let flag = format!("--{}", info.flag);
            match info.kind {
                OptionKind::Bool => assert!(parse(&[&flag]).is_ok(), "{flag}"),
                OptionKind::Choice(values) => {
                    for v in values {
                        assert!(parse(&[&flag, v]).is_ok(), "{flag} {v}");
                    }
                    assert!(parse(&[&flag, "no-such-value"]).is_err(), "{flag}");
                }
                OptionKind::Bytes => {
                    assert!(parse(&[&flag, "1GiB"]).is_ok(), "{flag}");
                    let err = parse(&[&flag, "1.5GiB"]).unwrap_err();
                    assert!(err.contains(&flag), "{err}");
                }
                OptionKind::U64 => {
                    assert!(parse(&[&flag, "7"]).is_ok(), "{flag}");
                    assert!(parse(&[&flag, "-7"]).is_err(), "{flag}");
                }
            }
        }
    }
}
