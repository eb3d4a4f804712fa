// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one TOML configuration shared by `acm serve`, the Kamailio module and
//! the offline tools, plus `ACM_*` environment overrides.
//!
//! Every key is documented in `cfg-examples/acm.toml`. Each section is its own
//! file and checks its own keys; this file reads the text, merges defaults,
//! file and environment, and runs the checks that span sections. Unknown keys
//! are errors (a typo must not silently fall back to a default), and every
//! check names the key it refuses. Environment variables override file values:
//! `ACM_MODE=monitor`, `ACM_RULES__DISTINCT_CALLERS__THRESHOLD=3`,
//! `ACM_SERVE__LISTEN=127.0.0.1:9000` (sections joined by `__`).

mod alerts;
mod clickhouse;
mod grpc;
mod learning;
mod lists;
mod notify;
mod numbering;
mod redact;
mod rules;
mod serve;
mod store;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use alerts::{default_severity, AlertsConfig, AutoBlockConfig, Severity, DEFAULT_SEVERITY};
pub use clickhouse::{is_identifier, InsertCompression, PipelineConfig, MIN_HANDOFF_BYTES};
pub use grpc::GrpcConfig;
pub use learning::LearningConfig;
pub use lists::ListsConfig;
pub use notify::{
    webhook_key, AccessConfig, ReceiverConfig, Role, TeardownConfig, TokenConfig, WebhookFormat,
    WebhooksConfig,
};
pub use numbering::{Numbering, NumberingConfig};
pub use redact::REDACTED;
pub use rules::{
    IntlIngressConfig, InvalidCliConfig, LearnConfig, QuietFaninConfig, RuleAction, RulesConfig,
    SlowCallersConfig, WindowRuleConfig,
};
pub use serve::ServeConfig;
pub use store::{Face, StoreConfig, StoreKind};

/// Environment variables that are not key overrides.
const ENV_NOT_KEYS: &[&str] = &["ACM_CONFIG", "ACM_LOG", "ACM_TEST_KEEP", "ACM_BIN"];

/// A configuration that cannot be used, naming the key and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// `enforce` blocks; `monitor` turns every block into a flag (report-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Monitor,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Monitor => "monitor",
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mode: Mode,
    /// Name of this node in events and alerts; the host name when empty.
    pub node_name: String,
    pub numbering: NumberingConfig,
    pub rules: RulesConfig,
    pub alerts: AlertsConfig,
    pub auto_block: AutoBlockConfig,
    pub learning: LearningConfig,
    pub lists: ListsConfig,
    pub store: StoreConfig,
    pub serve: ServeConfig,
    /// The gRPC face of `acm serve` (off unless `listen` is set).
    pub grpc: GrpcConfig,
    /// Bearer tokens of the alerts and admin APIs, with their roles.
    pub access: AccessConfig,
    /// Where alerts are sent.
    pub webhooks: WebhooksConfig,
    /// Ending an alert's calls in Kamailio.
    pub teardown: TeardownConfig,
    /// Where verdicts and alerts are drained. Absent: nowhere (counted only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clickhouse: Option<PipelineConfig>,
}

impl Config {
    /// Reads `path` (when given), applies `ACM_*` overrides from the process
    /// environment, and validates.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    pub fn load_with_env(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| {
                ConfigError::new("(file)", format!("cannot read {}: {e}", p.display()))
            })?,
            None => String::new(),
        };
        Self::from_toml_with_env(&text, env)
    }

    /// Parses TOML text without looking at the environment.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Self::from_toml_with_env(text, std::iter::empty())
    }

    pub fn from_toml_with_env(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let user: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigError::new(toml_error_key(text, &e), e.message().to_string()))?;
        // Defaults first, the file over them, the environment over both: a
        // section that sets one key keeps the defaults of the others.
        let mut tree = toml::Table::try_from(Config::default())
            .map_err(|e| ConfigError::new("(defaults)", e.to_string()))?;
        merge_tables(&mut tree, user);
        let mut applied = Vec::new();
        for (name, value) in env {
            if !name.starts_with("ACM_") || ENV_NOT_KEYS.contains(&name.as_str()) {
                continue;
            }
            apply_env_override(&mut tree, &name, &value)?;
            applied.push(name);
        }
        // The path of the value that did not fit names the key.
        let cfg: Config = serde_path_to_error::deserialize(toml::Value::Table(tree)).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                let key = e.path().to_string();
                let mut reason = e.inner().message().to_string();
                let var = format!("ACM_{}", key.to_ascii_uppercase().replace('.', "__"));
                if applied.contains(&var) {
                    reason.push_str(&format!(" (set by the environment variable {var})"));
                } else if !applied.is_empty() {
                    reason.push_str(&format!(
                        " (environment overrides applied: {})",
                        applied.join(", ")
                    ));
                }
                let key = if key == "." {
                    "(file)".to_string()
                } else {
                    key
                };
                ConfigError::new(key, reason)
            },
        )?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A window keeps at most `store.max_members_per_key` members, so a rule whose threshold
    /// (or a trunk's) lies above it could never fire: refused rather than silently disabled.
    fn check_member_cap(&self) -> Result<(), ConfigError> {
        let cap = self.store.max_members_per_key;
        match self
            .rules
            .active_thresholds()
            .into_iter()
            .find(|(_, t)| *t as usize > cap)
        {
            Some((key, t)) => Err(ConfigError::new(
                "store.max_members_per_key",
                format!(
                    "{cap} is below {key} = {t}: a window keeps at most {cap} members, so that \
                     rule could never fire; raise it to at least {t}"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Semantic checks the types cannot express, section by section, then
    /// those that span sections. Each error names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.numbering.validate()?;
        self.rules.validate()?;
        self.alerts.validate()?;
        self.auto_block.validate()?;
        self.learning.validate()?;
        self.lists.validate()?;
        self.store.validate()?;
        self.check_member_cap()?;
        self.serve.validate()?;
        self.grpc.validate()?;
        self.access.validate()?;
        let codes: Vec<&str> = DEFAULT_SEVERITY.iter().map(|(r, _)| *r).collect();
        self.webhooks.validate(&codes)?;
        self.teardown.validate()?;
        if let Some(ch) = &self.clickhouse {
            ch.validate()?;
        }
        Ok(())
    }

    /// The node name, falling back to the host name.
    pub fn node(&self) -> String {
        if !self.node_name.is_empty() {
            return self.node_name.clone();
        }
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "acm".into())
    }
}

pub(crate) fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn check_window(key: &str, ms: u64) -> Result<(), ConfigError> {
    if ms == 0 || ms > 30 * 24 * 3_600_000 {
        return Err(ConfigError::new(key, "must be between 1 ms and 30 days"));
    }
    Ok(())
}

/// Parses an address or a CIDR into a network.
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    if let Ok(net) = s.parse::<ipnet::IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<std::net::IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| format!("{s:?} is not an IP address or CIDR"))
}

fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Sets one `ACM_A__B__C` override in the parsed tree.
fn apply_env_override(tree: &mut toml::Table, name: &str, value: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = name["ACM_".len()..]
        .split("__")
        .map(|p| p.to_ascii_lowercase())
        .collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(ConfigError::new(
            name,
            "malformed override name (use ACM_SECTION__KEY)",
        ));
    }
    let mut table = tree;
    for part in &path[..path.len() - 1] {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(ConfigError::new(name, format!("{part} is not a section"))),
        };
    }
    table.insert(path[path.len() - 1].clone(), env_value(value));
    Ok(())
}

/// Reads an override value: booleans, arrays and plain numbers are typed;
/// anything else, including numbers with a leading zero ("00"), is a string.
fn env_value(v: &str) -> toml::Value {
    let t = v.trim();
    let int = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    // 1.5, 0.25: a decimal fraction (factors); "00" or "0803" stay strings.
    let decimal = t
        .split_once('.')
        .is_some_and(|(i, f)| int(i) && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let typed = t == "true" || t == "false" || t.starts_with('[') || int(t) || decimal;
    if typed {
        if let Ok(tbl) = toml::from_str::<toml::Table>(&format!("v = {t}")) {
            if let Some(val) = tbl.get("v") {
                return val.clone();
            }
        }
    }
    toml::Value::String(v.to_string())
}

/// Where a syntax error is, as a person finds it: line and column.
fn toml_error_key(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("(file, line {line}, column {col})")
        }
        None => "(file)".into(),
    }
}

/// Checks a list of numbers or prefixes ending in `*`.
fn check_numbers(key: &str, list: &[String]) -> Result<(), ConfigError> {
    for s in list {
        let body = s.strip_suffix('*').unwrap_or(s);
        let digits = body.strip_prefix('+').unwrap_or(body);
        if digits.is_empty() || !all_digits(digits) {
            return Err(ConfigError::new(
                key,
                format!("{s:?} is not a number or a prefix ending in *"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.rules.distinct_callers.threshold, 5);
        assert_eq!(c.rules.distinct_callers.window_ms, 10_000);
        assert_eq!(c.alerts.cooldown_ms, 60_000);
        assert_eq!(c.serve.listen, "0.0.0.0:8080");
    }

    #[test]
    fn the_example_file_shows_the_defaults() {
        // It is the reference of the defaults: what it sets is what a missing key means.
        let text = include_str!("../../cfg-examples/acm.toml");
        assert_eq!(Config::from_toml(text).unwrap(), Config::default());
    }

    #[test]
    fn the_example_clickhouse_section_shows_the_defaults() {
        // It ships commented out (no pipeline unless asked for); uncommented it must parse,
        // name every key, and say what the defaults are.
        let text = include_str!("../../cfg-examples/acm.toml");
        let section = &text[text.find("#[clickhouse]").expect("a [clickhouse] section")..];
        let uncommented: String = section
            .lines()
            .take_while(|l| l.starts_with('#'))
            .filter(|l| !l.starts_with("# "))
            .map(|l| format!("{}\n", &l[1..]))
            .collect();
        let c = Config::from_toml(&uncommented).unwrap();
        assert_eq!(c.clickhouse, Some(PipelineConfig::default()));
        let keys = uncommented.lines().filter(|l| l.contains(" = ")).count();
        let fields = toml::Value::try_from(PipelineConfig::default())
            .unwrap()
            .as_table()
            .unwrap()
            .len();
        assert_eq!(keys, fields, "every [clickhouse] key is in the example");
    }

    #[test]
    fn listed_threshold_is_distinct_callers_own_and_checked() {
        assert_eq!(
            Config::default().rules.distinct_callers.listed_threshold,
            10
        );
        let off = Config::from_toml("[rules.distinct_callers]\nlisted_threshold = 0\n").unwrap();
        assert_eq!(off.rules.distinct_callers.listed_threshold, 0);
        let e = Config::from_toml("[rules.distinct_callers]\nlisted_threshold = 1\n").unwrap_err();
        assert_eq!(e.key, "rules.distinct_callers.listed_threshold");
        let e = Config::from_toml("[rules.cli_rotation]\nlisted_threshold = 10\n").unwrap_err();
        assert_eq!(e.key, "rules.cli_rotation.listed_threshold");
        assert!(e.to_string().contains("only distinct_callers"), "{e}");
    }

    #[test]
    fn quiet_fanin_is_on_by_default_and_checked() {
        let d = Config::default();
        let q = &d.rules.quiet_fanin;
        assert_eq!(
            (
                q.threshold,
                q.quiet_min(),
                q.max_ingress_callers,
                q.block_callers
            ),
            (4, 60, 3, 5)
        );
        assert!(!q.action.is_off());
        for (toml, key) in [
            (
                "[rules.quiet_fanin]\nthreshold = 1\n",
                "rules.quiet_fanin.threshold",
            ),
            (
                "[rules.quiet_fanin]\nthreshold = 256\n",
                "rules.quiet_fanin.threshold",
            ),
            (
                "[rules.quiet_fanin]\nblock_callers = 256\n",
                "rules.quiet_fanin.block_callers",
            ),
            (
                "[rules.quiet_fanin]\nquiet_ms = 0\n",
                "rules.quiet_fanin.quiet_ms",
            ),
            (
                "[rules.quiet_fanin]\nquiet_ms = 43200001\n",
                "rules.quiet_fanin.quiet_ms",
            ),
            // A spell is judged over at most 30 minutes of the slow tier's window.
            (
                "[rules.distinct_callers_slow]\nwindow_ms = 1800001\n",
                "rules.quiet_fanin",
            ),
        ] {
            let e = Config::from_toml(toml).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
        }
        assert!(Config::from_toml(
            "[rules.distinct_callers_slow]\nwindow_ms = 1800001\n[rules.quiet_fanin]\naction = \"off\"\n"
        )
        .is_ok());
        // Whole minutes, rounded up.
        let c = Config::from_toml("[rules.quiet_fanin]\nquiet_ms = 90001\n").unwrap();
        assert_eq!(c.rules.quiet_fanin.quiet_min(), 2);
        assert!(Config::from_toml("[rules.quiet_fanin]\nquiets = 1\n").is_err());
    }

    #[test]
    fn cli_fanout_called_is_on_by_default_and_checked() {
        let d = Config::default();
        let c = d.rules.cli_fanout.called.called().expect("on by default");
        assert_eq!((c.factor.get(), c.within_ms), (3, 3_600_000));
        let off = Config::from_toml("[rules.cli_fanout.called]\nfactor = 1\n").unwrap();
        assert_eq!(off.rules.cli_fanout.called.called(), None);
        let e = Config::from_toml("[rules.cli_fanout.called]\nfactor = 0\n").unwrap_err();
        assert_eq!(e.key, "rules.cli_fanout.called.factor");
        let e = Config::from_toml("[rules.cli_fanout.called]\nwithin_ms = 0\n").unwrap_err();
        assert_eq!(e.key, "rules.cli_fanout.called.within_ms");
        assert!(Config::from_toml("[rules.cli_fanout.called]\nfactors = 2\n").is_err());
    }

    #[test]
    fn cli_fanout_repeats_is_on_by_default_and_checked() {
        let d = Config::default();
        let r = d.rules.cli_fanout.repeats.repeats().expect("on by default");
        assert_eq!((r.share_milli, r.factor), (100, 3));
        let off = Config::from_toml("[rules.cli_fanout.repeats]\nfactor = 1\n").unwrap();
        assert_eq!(off.rules.cli_fanout.repeats.repeats(), None);
        let e = Config::from_toml("[rules.cli_fanout.repeats]\nfactor = 0\n").unwrap_err();
        assert_eq!(e.key, "rules.cli_fanout.repeats.factor");
        for bad in ["0", "1.5", "-0.1"] {
            let e = Config::from_toml(&format!("[rules.cli_fanout.repeats]\nshare = {bad}\n"))
                .unwrap_err();
            assert_eq!(e.key, "rules.cli_fanout.repeats.share", "{bad}");
        }
        assert!(Config::from_toml("[rules.cli_fanout.repeats]\nshares = 2\n").is_err());
        assert_eq!(r.span_s.get(), 3_600, "runs last an hour");
        for bad in ["0", "999", "1999", "65535001"] {
            let e = Config::from_toml(&format!("[rules.cli_fanout.repeats]\nwithin_ms = {bad}\n"))
                .unwrap_err();
            assert_eq!(e.key, "rules.cli_fanout.repeats.within_ms", "{bad}");
        }
        let long = Config::from_toml("[rules.cli_fanout.repeats]\nwithin_ms = 65535000\n").unwrap();
        assert_eq!(
            long.rules
                .cli_fanout
                .repeats
                .repeats()
                .unwrap()
                .span_s
                .get(),
            65_535
        );
    }

    #[test]
    fn hold_paced_is_on_for_cli_fanout_only() {
        let d = Config::default();
        assert!(d.rules.cli_fanout.learn.hold_paced);
        assert!(!d.rules.cli_rotation.learn.hold_paced);
        assert!(!d.rules.distinct_callers_slow.learn.hold_paced);
        let off = Config::from_toml("[rules.cli_fanout.learn]\nhold_paced = false\n").unwrap();
        assert!(!off.rules.cli_fanout.learn.hold_paced);
        for (toml, key) in [
            (
                "[rules.cli_rotation.learn]\nhold_paced = true\n",
                "rules.cli_rotation.learn.hold_paced",
            ),
            (
                "[rules.cli_velocity.learn]\nhold_paced = true\n",
                "rules.cli_velocity.learn.hold_paced",
            ),
            (
                "[rules.distinct_callers_slow.learn]\nhold_paced = true\n",
                "rules.distinct_callers_slow.learn.hold_paced",
            ),
        ] {
            let e = Config::from_toml(toml).unwrap_err();
            assert_eq!(e.key, key);
            assert!(e.to_string().contains("only cli_fanout"), "{e}");
        }
    }

    #[test]
    fn shared_type_clis_are_judged_by_cli_fanout_only() {
        let d = Config::default().rules;
        assert_eq!(d.cli_fanout.shared_type_min_ingress_clis, 20);
        assert_eq!(
            d.cli_fanout.shared_type_min_ingress_clis,
            d.cli_rotation.threshold
        );
        assert_eq!(d.cli_rotation.shared_type_min_ingress_clis, 0);
        let set = Config::from_toml(
            "[rules.cli_fanout]
shared_type_min_ingress_clis = 0
",
        )
        .unwrap();
        assert_eq!(set.rules.cli_fanout.shared_type_min_ingress_clis, 0);
        for name in ["distinct_callers", "cli_velocity", "cli_rotation"] {
            let e = Config::from_toml(&format!(
                "[rules.{name}]\nshared_type_min_ingress_clis = 5\n"
            ))
            .unwrap_err();
            assert_eq!(e.key, format!("rules.{name}.shared_type_min_ingress_clis"));
            assert!(e.to_string().contains("only cli_fanout"), "{e}");
        }
    }

    #[test]
    fn the_burst_tier_skips_service_numbers_and_only_it_takes_the_list() {
        use crate::number::plan::NumberType;
        let d = Config::default().rules;
        assert_eq!(
            d.distinct_callers.skip_b_types,
            vec![
                NumberType::TollFree,
                NumberType::PremiumRate,
                NumberType::SharedCost,
                NumberType::Uan
            ]
        );
        let none = Config::from_toml("[rules.distinct_callers]\nskip_b_types = []\n").unwrap();
        assert!(none.rules.distinct_callers.skip_b_types.is_empty());
        let e = Config::from_toml("[rules.distinct_callers]\nskip_b_types = [\"hotline\"]\n")
            .unwrap_err();
        assert!(e.to_string().contains("skip_b_types"), "{e}");
        for name in ["cli_velocity", "cli_rotation", "cli_fanout"] {
            let e = Config::from_toml(&format!("[rules.{name}]\nskip_b_types = [\"toll_free\"]\n"))
                .unwrap_err();
            assert_eq!(e.key, format!("rules.{name}.skip_b_types"));
            assert!(e.to_string().contains("only distinct_callers"), "{e}");
        }
    }

    #[test]
    fn the_slow_tier_counts_fixed_and_voip_lines_and_learns_each_number() {
        let d = Config::default().rules.distinct_callers_slow;
        assert!(d.learn_number);
        assert_eq!(
            d.b_types,
            vec![
                crate::number::plan::NumberType::Mobile,
                crate::number::plan::NumberType::FixedLine,
                crate::number::plan::NumberType::Voip,
            ]
        );
        // Where there is no count over every ingress, it has nothing to
        // learn; such a configuration stays valid.
        for extra in [
            "per_ingress = false\n",
            "min_ingress_share = 0.0\n",
            "[rules.distinct_callers_slow.learn]\nenabled = false\n",
        ] {
            let toml = format!("[rules.distinct_callers_slow]\n{extra}");
            assert!(Config::from_toml(&toml).is_ok(), "{extra}");
        }
    }

    #[test]
    fn hold_uncalled_is_off_by_default_and_needs_called_stamps() {
        let d = Config::default();
        assert!(!d.rules.cli_fanout.learn.hold_uncalled);
        let on =
            Config::from_toml("[rules.cli_fanout.learn]\nhold_after = 3\nhold_uncalled = true\n")
                .unwrap();
        assert!(on.rules.cli_fanout.learn.hold_uncalled);
        for (toml, key) in [
            (
                "[rules.cli_fanout.called]\nfactor = 1\n[rules.cli_fanout.learn]\nhold_uncalled = true\n",
                "rules.cli_fanout.learn.hold_uncalled",
            ),
            (
                "[rules.cli_rotation.learn]\nhold_uncalled = true\n",
                "rules.cli_rotation.learn.hold_uncalled",
            ),
            (
                "[rules.distinct_callers_slow.learn]\nhold_uncalled = true\n",
                "rules.distinct_callers_slow.learn.hold_uncalled",
            ),
        ] {
            let e = Config::from_toml(toml).unwrap_err();
            assert_eq!(e.key, key, "{toml}");
            assert!(e.reason.contains("called stamps"), "{e}");
        }
    }

    #[test]
    fn a_member_cap_below_a_threshold_is_refused() {
        let e = Config::from_toml(
            "[store]\nmax_members_per_key = 20\n[rules.cli_velocity]\naction = \"flag\"\n\
             threshold = 10\n[rules.cli_velocity.trunk_thresholds]\nwholesale = 30\n",
        )
        .unwrap_err();
        assert_eq!(e.key, "store.max_members_per_key");
        assert!(
            e.reason
                .contains("rules.cli_velocity.trunk_thresholds.wholesale = 30"),
            "{e}"
        );
        // A rule that is off has no window to keep.
        Config::from_toml(
            "[store]\nmax_members_per_key = 20\n[rules.cli_velocity]\naction = \"off\"\n\
             threshold = 30\n",
        )
        .unwrap();
        // At the threshold: the rule can still fire.
        Config::from_toml("[store]\nmax_members_per_key = 20\n").unwrap();
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml("[rules.distinct_callers]\nthresold = 3\n").unwrap_err();
        assert!(e.reason.contains("thresold"), "{e}");
    }

    #[test]
    fn type_and_range_errors_name_the_key() {
        for (toml, key) in [
            (
                "[rules.distinct_callers]\nthreshold = \"five\"\n",
                "rules.distinct_callers.threshold",
            ),
            (
                "[rules.distinct_callers]\nthreshold = -1\n",
                "rules.distinct_callers.threshold",
            ),
            (
                "[rules.distinct_callers]\nthreshold = 5.5\n",
                "rules.distinct_callers.threshold",
            ),
            (
                "[store]\nmax_keys = 99999999999999999999\n",
                "(file, line 2, column 12)",
            ),
            ("[serve]\nmax_body_bytes = true\n", "serve.max_body_bytes"),
            (
                "[rules.distinct_callers]\nmin_ingress_share = 1.5\n",
                "rules.distinct_callers.min_ingress_share",
            ),
        ] {
            let e = Config::from_toml(toml).unwrap_err();
            assert_eq!(e.key, key, "{toml}: {e}");
        }
        let env = vec![(
            "ACM_RULES__DISTINCT_CALLERS__THRESHOLD".to_string(),
            "abc".to_string(),
        )];
        let e = Config::from_toml_with_env("", env).unwrap_err();
        assert_eq!(e.key, "rules.distinct_callers.threshold");
        assert!(
            e.reason
                .contains("set by the environment variable ACM_RULES__DISTINCT_CALLERS__THRESHOLD"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let e = Config::from_toml("mode = \"loud\"\n").unwrap_err();
        assert!(
            e.reason.contains("loud") || e.reason.contains("variant"),
            "{e}"
        );
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let e = Config::from_toml(
            "[rules.distinct_callers]\naction=\"block\"\nthreshold = 0\nwindow_ms=5000\n",
        )
        .unwrap_err();
        assert_eq!(e.key, "rules.distinct_callers.threshold");
        let e = Config::from_toml("[lists]\nallow_sources = [\"10.0.0.300/8\"]\n").unwrap_err();
        assert_eq!(e.key, "lists.allow_sources");
        let e = Config::from_toml("[numbering]\ncountry_code = \"2a\"\n").unwrap_err();
        assert_eq!(e.key, "numbering.country_code");
        // A region is read as its calling code, in any case; an unknown one is refused.
        for region in ["FR", "fr", "Fr"] {
            let c = Config::from_toml(&format!("[numbering]\ncountry_code = \"{region}\"\n"));
            assert_eq!(c.unwrap().numbering.country_code, "33");
        }
        let e = Config::from_toml("[numbering]\ncountry_code = \"XX\"\n").unwrap_err();
        assert_eq!(e.key, "numbering.country_code");
        assert!(e.to_string().contains("region"), "{e}");
        // Under a code countries share the region named is home; elsewhere none is set.
        let ca = Config::from_toml("[numbering]\ncountry_code = \"ca\"\n").unwrap();
        assert_eq!(
            (
                ca.numbering.country_code.as_str(),
                ca.numbering.region.as_deref()
            ),
            ("1", Some("CA"))
        );
        let gb = Config::from_toml("[numbering]\ncountry_code = \"GB\"\n").unwrap();
        assert_eq!(
            (
                gb.numbering.country_code.as_str(),
                gb.numbering.region.as_deref()
            ),
            ("44", None)
        );
        let us = Config::from_toml("[numbering]\ncountry_code = \"1\"\nregion = \"US\"\n").unwrap();
        assert_eq!(us.numbering.region.as_deref(), Some("US"));
        let e =
            Config::from_toml("[numbering]\ncountry_code = \"1\"\nregion = \"FR\"\n").unwrap_err();
        assert_eq!(e.key, "numbering.region");
        let e = Config::from_toml("[serve]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(e.key, "serve.listen");
        let e = Config::from_toml("[lists]\ndeny_a_numbers = [\"abc\"]\n").unwrap_err();
        assert_eq!(e.key, "lists.deny_a_numbers");
        let e = Config::from_toml("[rules.distinct_callers_slow]\nwindow_ms = 1000\n").unwrap_err();
        assert_eq!(e.key, "rules.distinct_callers_slow.window_ms");
        let e = Config::from_toml("[clickhouse]\nurl = \"ftp://x\"\n").unwrap_err();
        assert_eq!(e.key, "clickhouse.url");
    }

    #[test]
    fn environment_overrides_file() {
        let env = vec![
            ("ACM_MODE".to_string(), "monitor".to_string()),
            (
                "ACM_RULES__DISTINCT_CALLERS__THRESHOLD".to_string(),
                "3".to_string(),
            ),
            (
                "ACM_NUMBERING__NATIONAL_PREFIX".to_string(),
                "0".to_string(),
            ),
            (
                "ACM_NUMBERING__INTERNATIONAL_PREFIXES".to_string(),
                "[\"00\"]".to_string(),
            ),
            (
                "ACM_SERVE__LISTEN".to_string(),
                "127.0.0.1:9999".to_string(),
            ),
            ("ACM_CONFIG".to_string(), "/ignored".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let c = Config::from_toml_with_env("mode = \"enforce\"\n", env).unwrap();
        assert_eq!(c.mode, Mode::Monitor);
        assert_eq!(c.rules.distinct_callers.threshold, 3);
        assert_eq!(c.numbering.national_prefix.as_deref(), Some("0"));
        assert_eq!(c.numbering.international_prefixes, Some(vec!["00".into()]));
        assert_eq!(c.serve.listen, "127.0.0.1:9999");
        let env = vec![(
            "ACM_RULES__CLI_ROTATION__LEARN__FACTOR".to_string(),
            "1.5".to_string(),
        )];
        let c = Config::from_toml_with_env("", env).unwrap();
        assert_eq!(c.rules.cli_rotation.learn.factor, 1.5);
    }

    #[test]
    fn unknown_environment_key_is_named() {
        let env = vec![(
            "ACM_RULES__DISTINCT_CALLERS__TRESHOLD".to_string(),
            "3".to_string(),
        )];
        let e = Config::from_toml_with_env("", env).unwrap_err();
        assert!(
            e.reason.contains("treshold")
                && e.reason.contains("ACM_RULES__DISTINCT_CALLERS__TRESHOLD"),
            "{e}"
        );
    }

    #[test]
    fn redis_store_keys_parse_and_validate() {
        let c = Config::from_toml(
            "[store]\nkind = \"redis\"\nurls = [\"redis://a:7000\", \"redis://b:7000\"]\nbudget_ms = 40\n",
        )
        .unwrap();
        assert_eq!(c.store.kind, StoreKind::Redis);
        assert!(c.store.is_cluster());
        assert_eq!(c.store.budget_ms, 40);
        assert_eq!(c.store.key_prefix, "acm");
        let e = Config::from_toml("[store]\nurl = \"http://x\"\n").unwrap_err();
        assert_eq!(e.key, "store.url");
        let e = Config::from_toml("[store]\nbudget_ms = 0\n").unwrap_err();
        assert_eq!(e.key, "store.budget_ms");
        let e = Config::from_toml("[store]\nkey_prefix = \"a{b}\"\n").unwrap_err();
        assert_eq!(e.key, "store.key_prefix");
        let e = Config::from_toml("[store]\nbreaker_failures = 0\n").unwrap_err();
        assert_eq!(e.key, "store.breaker_failures");
        let env = vec![
            ("ACM_STORE__KIND".to_string(), "redis".to_string()),
            (
                "ACM_STORE__URL".to_string(),
                "redis://dragonfly:6379".to_string(),
            ),
        ];
        let c = Config::from_toml_with_env("", env).unwrap();
        assert_eq!(c.store.url, "redis://dragonfly:6379");
        assert!(!c.store.is_cluster());
    }

    #[test]
    fn new_rule_keys_parse_and_validation_names_them() {
        let c = Config::from_toml(
            "[rules.distinct_callers_slow]\nthreshold = 7\n\
             [rules.cli_velocity]\ntrunk_thresholds = { \"MSC-1\" = 10 }\n\
             [rules.intl_ingress_local_cli]\nroaming_a_numbers = [\"08031234567\", \"+234806*\"]\n",
        )
        .unwrap();
        let ds = &c.rules.distinct_callers_slow;
        assert_eq!(ds.threshold, 7);
        let defaults = super::rules::SlowCallersConfig::default();
        assert_eq!(
            ds.window_ms, defaults.window_ms,
            "the other keys keep their defaults"
        );
        assert_eq!(ds.per_ingress, defaults.per_ingress);
        assert_eq!(ds.action, RuleAction::FLAG);
        assert!(ds.untrusted_ingress_only);
        assert_eq!(c.rules.cli_velocity.trunk_thresholds["MSC-1"], 10);
        assert_eq!(c.rules.cli_velocity.threshold, 15);
        for (toml, key) in [
            (
                "[rules.distinct_callers_slow]\nthreshold = 0\n",
                "rules.distinct_callers_slow.threshold",
            ),
            (
                "[rules.distinct_callers_slow]\nmin_ingress_share = 2\n",
                "rules.distinct_callers_slow.min_ingress_share",
            ),
            (
                "[rules.distinct_callers_slow]\nwindow_ms = 0\n",
                "rules.distinct_callers_slow.window_ms",
            ),
            (
                "[rules.cli_rotation]\ntrunk_thresholds = { \"GW\" = 0 }\n",
                "rules.cli_rotation.trunk_thresholds",
            ),
            (
                "[rules.cli_velocity]\ntrunk_thresholds = { \" \" = 5 }\n",
                "rules.cli_velocity.trunk_thresholds",
            ),
            (
                "[rules.intl_ingress_local_cli]\nroaming_a_numbers = [\"roamer\"]\n",
                "rules.intl_ingress_local_cli.roaming_a_numbers",
            ),
            (
                "[rules.intl_ingress_local_cli]\nstanding_slot_ms = 1000\n",
                "rules.intl_ingress_local_cli.standing_slot_ms",
            ),
            (
                "[rules.intl_ingress_local_cli]\nstanding_ms = 600000\nstanding_slot_ms = 900000\n",
                "rules.intl_ingress_local_cli.standing_slot_ms",
            ),
            (
                "[rules.intl_ingress_local_cli]\nstanding_ms = 86400000\nstanding_slot_ms = 60000\n",
                "rules.intl_ingress_local_cli.standing_ms",
            ),
        ] {
            assert_eq!(Config::from_toml(toml).unwrap_err().key, key, "{toml}");
        }
        let e = Config::from_toml("[rules.distinct_callers_slow]\ntrheshold = 3\n").unwrap_err();
        assert!(e.reason.contains("trheshold"), "{e}");
    }

    #[test]
    fn partial_rule_section_keeps_the_other_defaults() {
        let c = Config::from_toml("[rules.distinct_callers]\nthreshold = 3\n").unwrap();
        assert_eq!(c.rules.distinct_callers.threshold, 3);
        assert_eq!(c.rules.distinct_callers.window_ms, 10_000);
        assert_eq!(c.rules.distinct_callers.action, RuleAction::BLOCK);
    }
}
