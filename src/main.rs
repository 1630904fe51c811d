//! `sumi`: with no subcommand, the GUI (on the demo study or the given folders); with one, the
//! same core headless. Problems print one line each; the exit code is non-zero on failure.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sumi", version, about = "sumi (墨): DICOM viewing, de-identification review, annotation and export")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Folders or files to open in the viewer (default: the bundled demo study).
    paths: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Index DICOM files into a project database and print a JSON summary.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        project: PathBuf,
        /// Recorded in the audit log (default: $SUMI_USER or $USER).
        #[arg(long)]
        user: Option<String>,
    },
    /// Describe the series found under the given paths.
    Info {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Write the bundled demo study into a folder (the GUI does this on first run).
    Demo { out: PathBuf },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Load the largest series under DIR into a ready volume (decode + sort + assemble).
    Load {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Open DIR in the GUI, print the time to first image and to full load as JSON, and exit.
    Gui { dir: PathBuf },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SUMI_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => cli::gui(cli.paths),
        Some(Command::Import { paths, project, user }) => cli::import(&paths, &project, user),
        Some(Command::Info { paths, json }) => cli::info(&paths, json),
        Some(Command::Bench { what: BenchCommand::Load { dir, json } }) => cli::bench_load(&dir, json),
        Some(Command::Bench { what: BenchCommand::Gui { dir } }) => cli::bench_gui(dir),
        Some(Command::Demo { out }) => cli::demo(&out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sumi: {e}");
            ExitCode::FAILURE
        }
    }
}
