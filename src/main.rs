// SPDX-License-Identifier: MIT OR Apache-2.0
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
        /// Before serving, replay these call records (CSV or JSON lines, as
        /// `acm replay` reads them) to rebuild the windows and learned levels
        /// an embedded store lost when the service stopped.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        warm_from: Vec<PathBuf>,
    },
    /// Validate the configuration and print it with every default filled in (secrets redacted).
    CheckConfig,
    /// ClickHouse schema: `acm schema apply` creates or upgrades it (idempotent).
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// Ops and regulator reports from ClickHouse (`acm report list` lists them).
    Report {
        /// The report's name (`acm report list` lists them).
        name: String,
        /// Start of the period: how far back (30m, 24h, 7d) or a UTC date or time
        /// (2026-12-01, 2026-12-01T06:00:00Z).
        #[arg(long, default_value = "24h")]
        since: String,
        /// End of the period (excluded), like --since; default: open-ended.
        #[arg(long)]
        until: Option<String>,
        /// One UTC day (YYYY-MM-DD): --since that day, --until the next.
        #[arg(long, conflicts_with_all = ["since", "until"])]
        day: Option<String>,
        /// table, csv or json (csv when --out names a .csv or .csv.gz file).
        #[arg(long)]
        format: Option<String>,
        /// Write to this file instead of stdout; gzipped when it ends in .gz. Written to a
        /// temporary name first and renamed when complete.
        #[arg(long)]
        out: Option<PathBuf>,
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
    Apply {
        /// Apply on this cluster (a remote_servers name; overrides [clickhouse] cluster):
        /// shard tables in <database>_local on every node (ON CLUSTER, Replicated unless
        /// [clickhouse] replicated = false) and Distributed tables in <database>.
        #[arg(long)]
        cluster: Option<String>,
    },
}

/// A point in time for --since/--until, in Unix seconds: a duration back from now
/// (`24h`), a UTC date (`2026-12-01`) or an RFC 3339 time.
fn parse_point(flag: &str, s: &str, now: u64) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
            .max(0) as u64);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp().max(0) as u64);
    }
    parse_since(s)
        .map(|ago| now.saturating_sub(ago.as_secs()))
        .map_err(|e| format!("{flag}: {e}, a date (2026-12-01) or an RFC 3339 time"))
}

/// The report period `[since, until)` from --since/--until/--day.
fn report_period(
    since: &str,
    until: Option<&str>,
    day: Option<&str>,
) -> Result<(u64, u64), String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    if let Some(day) = day {
        let start = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
            .map_err(|_| format!("--day {day:?}: expected YYYY-MM-DD"))?
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
            .max(0) as u64;
        return Ok((start, start + 86_400));
    }
    let since = parse_point("--since", since, now)?;
    let until = match until {
        Some(u) => parse_point("--until", u, now)?,
        None => acm::report::OPEN_END,
    };
    if until <= since {
        return Err("--until must be after --since".into());
    }
    Ok((since, until))
}

/// Runs a report into `out` (a file, gzipped for .gz, renamed into place when complete) or stdout.
fn write_report_to(
    ch: &acm::pipeline::PipelineConfig,
    name: &str,
    (since, until): (u64, u64),
    format: acm::report::ReportFormat,
    out: Option<&std::path::Path>,
) -> Result<(), String> {
    use std::io::Write;
    let Some(path) = out else {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        acm::report::write_report(ch, name, since, until, format, &mut lock)
            .map_err(|e| format!("{e:#}"))?;
        return lock.flush().map_err(|e| e.to_string());
    };
    let tmp = path.with_file_name(format!(
        ".{}.part",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let result = (|| -> anyhow::Result<u64> {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let rows = if path.extension().is_some_and(|e| e == "gz") {
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            let rows = acm::report::write_report(ch, name, since, until, format, &mut gz)?;
            gz.finish()?
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()?;
            rows
        } else {
            let mut file = file;
            let rows = acm::report::write_report(ch, name, since, until, format, &mut file)?;
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            rows
        };
        std::fs::rename(&tmp, path)?;
        Ok(rows)
    })();
    match result {
        Ok(rows) => {
            eprintln!("acm: {name}: {rows} rows written to {}", path.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("{}: {e:#}", path.display()))
        }
    }
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
        Command::Serve { listen, warm_from } => load(cli.config.as_deref()).and_then(|mut cfg| {
            if let Some(l) = listen {
                cfg.serve.listen = l;
                cfg.validate().map_err(|e| e.to_string())?;
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            rt.block_on(acm::serve::run_with_path(
                cfg,
                warm_from,
                cli.config.clone(),
            ))
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
        Command::CheckConfig => load(cli.config.as_deref())
            .and_then(|cfg| acm::node::Node::check(&cfg).map(|()| cfg))
            .map(|cfg| {
                // Secrets (webhook secrets, passwords, the old admin token) are not printed.
                print!("{}", cfg.redacted_toml());
            }),
        Command::Schema {
            action: SchemaAction::Apply { cluster },
        } => load(cli.config.as_deref())
            .and_then(|cfg| clickhouse_config(&cfg))
            .map(|mut ch| {
                if let Some(c) = cluster {
                    ch.cluster = c;
                }
                ch
            })
            .and_then(|ch| acm::pipeline::apply_schema(&ch).map_err(|e| format!("{e:#}")))
            .map(|report| println!("{report}")),
        Command::Report {
            name,
            since,
            until,
            day,
            format,
            out,
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
                let period = report_period(&since, until.as_deref(), day.as_deref())?;
                let csv_file = out.as_ref().is_some_and(|p| {
                    let n = p.to_string_lossy();
                    n.ends_with(".csv") || n.ends_with(".csv.gz")
                });
                let format: acm::report::ReportFormat = match format {
                    Some(f) => f.parse().map_err(|e| format!("--format: {e}"))?,
                    None if csv_file => acm::report::ReportFormat::Csv,
                    None => acm::report::ReportFormat::Table,
                };
                write_report_to(&ch, &name, period, format, out.as_deref())
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
