//! `onsite`: the whole of Onsite from a terminal, for people without a phone.
//!
//! `onsite demo` is the first thing a new user runs: a complete visit on
//! sample data in a temporary store, narrated in Chinese (or English).

mod demo;
mod hq;
mod print;
mod store_key;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onsite_core::locale::Lang;

#[derive(Parser)]
#[command(
    name = "onsite",
    version,
    about = "Onsite: the field technician's visit, from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a complete visit of one service line on sample data and narrate each step.
    Demo {
        /// Which service line's visit: property (default), appliance, gps or furniture.
        #[arg(long, value_enum, default_value = "property")]
        line: demo::Line,
        /// Language of the narration and documents: zh-CN (default) or en.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// Keep the store file here instead of a temporary directory (or DIR
        /// of --out). It is encrypted: the key is ONSITE_STORE_KEY (64 hex
        /// digits) if set, else the key file STORE.key, created once (0600).
        #[arg(long)]
        store: Option<PathBuf>,
        /// Also write the documents (receipt as text, HTML and ESC/POS; signature; work order)
        /// here, and keep the phone's encrypted store here (technician.sqlite3, its key in
        /// technician.sqlite3.key) unless --store says where.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Afterwards keep HQ running with the demo's orders and ready console
        /// accounts (one per role) to sign in with, until Ctrl-C.
        #[arg(long)]
        console: bool,
    },
    /// Send ESC/POS bytes (e.g. receipt-58mm.bin from the demo) to a network thermal printer.
    Print {
        file: PathBuf,
        /// Printer address, HOST or HOST:PORT (raw TCP, port 9100 by default).
        #[arg(long)]
        to: String,
    },
    /// Read a phone's encrypted store file with its key (support and tests).
    Store {
        #[command(subcommand)]
        command: store_key::StoreCommand,
    },
    /// Run HQ and drive it as the service centre (serve, enroll, dispatch, ...).
    Hq {
        #[command(subcommand)]
        command: Box<hq::HqCommand>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo {
            line,
            lang,
            store,
            out,
            console,
        } => match Lang::parse(&lang) {
            Some(lang) => demo::run(line, lang, store, out, console),
            None => Err(anyhow::anyhow!(
                "unknown language {lang:?}: use zh-CN or en"
            )),
        },
        Command::Hq { command } => hq::run(*command),
        Command::Store { command } => store_key::run(command),
        Command::Print { file, to } => print::run(&file, &to),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("onsite: {e:#}");
            ExitCode::FAILURE
        }
    }
}
