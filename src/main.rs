//! The `acm` command: `acm serve`, `acm replay`, `acm simulate`, `acm quality`,
//! `acm schema apply`, `acm report`, `acm check-config`.

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
    /// ClickHouse schema: `acm schema apply` creates or upgrades it (idempotent).
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// Ops reports from ClickHouse: top-targets, alerts-by-rule, top-callers,
    /// top-sources, hourly, daily-summary.
    Report {
        /// The report's name (`acm report list` lists them).
        name: String,
        /// How far back: e.g. 30m, 24h, 7d.
        #[arg(long, default_value = "24h")]
        since: String,
        /// table, csv or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Bearer tokens for the alerts and admin APIs: `acm token new --name alice --role analyst`
    /// prints a new random token (give it to its holder) and the config entry holding its hash.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Run call detail records (CSV or JSON lines, plain or gzip) through the
    /// engine in event-time order and summarise the verdicts.
    Replay(acm::replay::cli::ReplayArgs),
    /// Generate labelled traffic (legitimate look-alikes and attacks) from a seed.
    Simulate(acm::simulate::SimulateArgs),
    /// Replay labelled CDRs and report detection and false-positive rates.
    Quality(acm::quality::QualityArgs),
}

#[derive(Subcommand)]
enum TokenAction {
    /// A new token: 32 random bytes from the OS.
    New {
        /// Who holds it: recorded as the actor of every change made with it.
        #[arg(long)]
        name: String,
        /// viewer, analyst or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
    },
}

#[derive(Subcommand)]
enum SchemaAction {
    /// Apply every migration not yet applied.
    Apply,
}

/// Parses `90s`, `30m`, `24h`, `7d`.
fn parse_since(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("--since {s:?}: expected a number and a unit (s, m, h, d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("--since {s:?}: unit must be s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

fn clickhouse_config(cfg: &Config) -> Result<acm::pipeline::PipelineConfig, String> {
    cfg.clickhouse.clone().ok_or_else(|| {
        "no [clickhouse] section in the config (or ACM_CLICKHOUSE__URL): nothing to connect to"
            .to_string()
    })
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
            rt.block_on(acm::serve::run_with_path(cfg, cli.config.clone()))
        }),
        Command::Replay(args) => {
            load(cli.config.as_deref()).and_then(|cfg| acm::replay::cli::run(&cfg, &args))
        }
        Command::Simulate(args) => acm::simulate::run(&args),
        Command::Quality(args) => {
            load(cli.config.as_deref()).and_then(|cfg| acm::quality::run(&cfg, &args))
        }
        Command::Token {
            action: TokenAction::New { name, role },
        } => match role.as_str() {
            "viewer" | "analyst" | "admin" => acm::serve::auth::new_token()
                .map_err(|e| format!("cannot read /dev/urandom: {e}"))
                .map(|(token, hash)| {
                    println!("token (give it to {name}; it is not stored anywhere): {token}");
                    println!();
                    println!("[[access.tokens]]");
                    println!("name = {name:?}");
                    println!("role = {role:?}");
                    println!("sha256 = {hash:?}");
                }),
            _ => Err(format!("--role {role:?}: one of viewer, analyst, admin")),
        },
        Command::CheckConfig => load(cli.config.as_deref()).map(|cfg| {
            print!("{}", toml::to_string_pretty(&cfg).unwrap_or_default());
        }),
        Command::Schema {
            action: SchemaAction::Apply,
        } => load(cli.config.as_deref())
            .and_then(|cfg| clickhouse_config(&cfg))
            .and_then(|ch| acm::pipeline::apply_schema(&ch).map_err(|e| format!("{e:#}")))
            .map(|report| println!("{report}")),
        Command::Report {
            name,
            since,
            format,
        } => {
            if name == "list" {
                for (n, description, _) in acm::report::REPORTS.iter() {
                    println!("{n:16} {description}");
                }
                return ExitCode::SUCCESS;
            }
            (|| {
                let cfg = load(cli.config.as_deref())?;
                let ch = clickhouse_config(&cfg)?;
                let since = parse_since(&since)?;
                let format: acm::report::ReportFormat =
                    format.parse().map_err(|e| format!("--format: {e}"))?;
                let text = acm::report::run_report(&ch, &name, since, format)
                    .map_err(|e| format!("{e:#}"))?;
                print!("{text}");
                Ok(())
            })()
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acm: {e}");
            ExitCode::FAILURE
        }
    }
}
