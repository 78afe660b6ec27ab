//! Thin: parse the command line, run one command, turn the outcome into an
//! exit code. Commands return errors as values; only here are they printed.

use clap::Parser;
use postsleuth::cli::{Cli, Command};
use postsleuth::commands::{self, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    postsleuth::timings::start();
    // Ctrl-C or SIGTERM mid-write must not leave half a report behind.
    postsleuth::atomic::remove_scratch_on_signals();
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Complete) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
        Ok(Outcome::Refused) => ExitCode::from(4),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<commands::UsageError>().is_some() => {
            eprintln!("postsleuth: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("postsleuth: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        None => commands::summary::run(&cli.summary),
        Some(Command::Summary(a)) => commands::summary::run(&a),
        Some(Command::Simulate(a)) => commands::simulate::run(&a),
        Some(Command::Check(a)) => commands::check::run(&a),
        Some(Command::Geo(g)) => commands::geo::run(&g),
        Some(Command::Top(a)) => commands::top::run(&a),
        Some(Command::Trace(a)) => commands::trace::run(&a),
        Some(Command::Export(a)) => commands::export::run(&a),
        Some(Command::Report(a)) => commands::report::run(&a),
        Some(Command::Suspects(a)) => commands::suspects::run(&a),
        Some(Command::Timeline(a)) => commands::timeline::run(&a),
        Some(Command::Queue(a)) => commands::queue::run(&a),
        Some(Command::Watch(a)) => commands::watch::run(&a),
    }
}

/// `postsleuth … | head` closes our stdout early: that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    // serde_json wraps the I/O error of a closed pipe in its own type.
    e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>().map(|io| io.kind());
        let json = c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind());
        io.or(json) == Some(std::io::ErrorKind::BrokenPipe)
    })
}
