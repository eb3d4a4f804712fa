//! The `acm` command: `acm serve`, `acm replay`, `acm simulate`, `acm quality`,
//! `acm check-config`, `acm version`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use acm::config::Config;

#[derive(Parser)]
#[command(
    name = "acm",
    version,
    about = "Real-time call-masking detection for carrier voice networks"
)]
struct Cli {
    /// The TOML configuration (see cfg-examples/acm.toml). Without it, defaults
    /// plus ACM_* environment overrides.
    #[arg(long, short, global = true, env = "ACM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP detection service (embedded store unless the config says otherwise).
    Serve {
        /// Listen address, overriding [serve] listen.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Validate the configuration and print it with every default filled in.
    CheckConfig,
    /// Run call detail records (CSV or JSON lines, plain or gzip) through the
    /// engine in event-time order and summarise the verdicts.
    Replay(acm::replay::cli::ReplayArgs),
    /// Generate labelled traffic (legitimate look-alikes and attacks) from a seed.
    Simulate(acm::simulate::SimulateArgs),
    /// Replay labelled CDRs and report detection and false-positive rates.
    Quality(acm::quality::QualityArgs),
}

fn load(path: Option<&std::path::Path>) -> Result<Config, String> {
    Config::load(path).map_err(|e| match path {
        Some(p) => format!("{}: {e}", p.display()),
        None => e.to_string(),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ACM_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve { listen } => load(cli.config.as_deref()).and_then(|mut cfg| {
            if let Some(l) = listen {
                cfg.serve.listen = l;
                cfg.validate().map_err(|e| e.to_string())?;
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            rt.block_on(acm::serve::run(cfg))
        }),
        Command::Replay(args) => {
            load(cli.config.as_deref()).and_then(|cfg| acm::replay::cli::run(&cfg, &args))
        }
        Command::Simulate(args) => acm::simulate::run(&args),
        Command::Quality(args) => {
            load(cli.config.as_deref()).and_then(|cfg| acm::quality::run(&cfg, &args))
        }
        Command::CheckConfig => load(cli.config.as_deref()).map(|cfg| {
            print!("{}", toml::to_string_pretty(&cfg).unwrap_or_default());
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acm: {e}");
            ExitCode::FAILURE
        }
    }
}
