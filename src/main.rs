//! `ekvsnap`: decode elastickv `.fsm` snapshots into a logical-backup tree.

mod cli;
mod summary;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::inspect::inspect;
use ekvsnap_runtime::options::parse_byte_size;
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::verify::verify_dump;
use indicatif::{ProgressBar, ProgressStyle};

use cli::{Cli, Command, DecodeArgs, InspectArgs, OutputMode, VerifyArgs};

/// A failure: the line printed on stderr and the exit status.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn new(message: impl ToString) -> Self {
        Failure {
            message: message.to_string(),
            code: 1,
        }
    }

    /// A flag value that does not parse: a usage error (exit status 2), like clap's own.
    fn usage(message: impl ToString) -> Self {
        Failure {
            message: message.to_string(),
            code: 2,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(match &cli.command {
        Command::Decode(a) => a.output_mode,
        Command::Inspect(a) => a.output_mode,
        Command::Verify(a) => a.output_mode,
    });
    let result = match cli.command {
        Command::Decode(args) => run_decode(args),
        Command::Inspect(args) => run_inspect(args),
        Command::Verify(args) => run_verify(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("ekvsnap: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Warnings are structured `tracing` events; they go to stderr unless `--quiet`.
fn init_tracing(mode: OutputMode) {
    let level = if mode.quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::WARN
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// A byte progress bar on a terminal, nothing otherwise.
fn progress_bar(mode: OutputMode, total: Option<u64>) -> Option<ProgressBar> {
    if mode.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
        )
        .expect("static template"),
    );
    Some(bar)
}

/// Input size for the progress bar, when the input is a file.
fn size_hint(input: &InputSource) -> Option<u64> {
    let path = input.path.as_ref()?;
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn open_input(input: &str) -> Result<InputSource, Failure> {
    InputSource::resolve(input).map_err(Failure::new)
}

fn run_decode(args: DecodeArgs) -> Result<(), Failure> {
    let adapters =
        AdapterSet::parse(&args.adapter).map_err(|e| Failure::usage(format!("--adapter: {e}")))?;
    let adapter_options = args.adapter_args.to_options().map_err(Failure::usage)?;
    let memory_budget = parse_byte_size(&args.memory_budget)
        .map_err(|e| Failure::usage(format!("--memory-budget: {e}")))?;
    let input = open_input(&args.input)?;
    let config = DecodeConfig {
        output: args.output.clone(),
        adapters,
        adapter_options,
        read_ts: args.read_ts,
        cluster_id: args.cluster_id.clone(),
        force: args.force,
        verify_crc: !args.no_verify_crc,
        memory_budget,
        scratch_dir: args.scratch_dir.clone(),
    };
    let bar = progress_bar(args.output_mode, size_hint(&input));
    let mut on_progress = |bytes: u64| {
        if let Some(b) = &bar {
            b.set_position(bytes);
        }
    };
    let result = decode(&input, &config, &mut on_progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = result.map_err(Failure::new)?;
    summary::print_decode(&report, args.output_mode);
    Ok(())
}

fn run_inspect(args: InspectArgs) -> Result<(), Failure> {
    let input = open_input(&args.input)?;
    let bar = progress_bar(args.output_mode, size_hint(&input));
    let mut on_progress = |bytes: u64| {
        if let Some(b) = &bar {
            b.set_position(bytes);
        }
    };
    let result = inspect(&input, args.read_ts, !args.no_verify_crc, &mut on_progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = result.map_err(Failure::new)?;
    summary::print_inspect(&report, args.output_mode);
    Ok(())
}

fn run_verify(args: VerifyArgs) -> Result<(), Failure> {
    let report = verify_dump(&args.dir).map_err(|e| Failure {
        message: format!("verify {}: {e}", args.dir.display()),
        code: if e.is_data_problem() { 3 } else { 1 },
    })?;
    summary::print_verify(&report, args.output_mode);
    Ok(())
}
