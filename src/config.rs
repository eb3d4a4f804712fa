//! The one TOML configuration shared by `acm serve`, the Kamailio module and
//! the offline tools, plus `ACM_*` environment overrides.
//!
//! Every key is documented in `cfg-examples/acm.toml`. Unknown keys are errors
//! (a typo must not silently fall back to a default), and every semantic check
//! names the key it refuses. Environment variables override file values:
//! `ACM_MODE=monitor`, `ACM_RULES__DISTINCT_CALLERS__THRESHOLD=3`,
//! `ACM_SERVE__LISTEN=127.0.0.1:9000` (sections joined by `__`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::engine::verdict::Action;

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

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    Off,
    #[default]
    Flag,
    Block,
}

impl RuleAction {
    pub fn action(self) -> Option<Action> {
        match self {
            RuleAction::Off => None,
            RuleAction::Flag => Some(Action::Flag),
            RuleAction::Block => Some(Action::Block),
        }
    }
}

fn string_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum S {
        S(String),
        I(u64),
    }
    Ok(match S::deserialize(d)? {
        S::S(s) => s,
        S::I(i) => i.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NumberingConfig {
    #[serde(deserialize_with = "string_or_int")]
    pub country_code: String,
    #[serde(deserialize_with = "string_or_int")]
    pub national_prefix: String,
    pub international_prefixes: Vec<String>,
    pub national_number_lengths: Vec<u8>,
}

impl Default for NumberingConfig {
    fn default() -> Self {
        NumberingConfig {
            country_code: "234".into(),
            national_prefix: "0".into(),
            international_prefixes: vec!["009".into(), "00".into()],
            national_number_lengths: vec![8, 10],
        }
    }
}

/// A rule that counts members of a sliding window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRuleConfig {
    pub action: RuleAction,
    pub threshold: u32,
    pub window_ms: u64,
    /// Overrides `[alerts] cooldown_ms` for this rule.
    pub cooldown_ms: Option<u64>,
    /// Per ingress trunk: the threshold a call arriving on that trunk is judged
    /// against (trunk classes: core switches, gateways, wholesale partners).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trunk_thresholds: BTreeMap<String, u32>,
}

/// The slow tier of `distinct_callers`: fan-in spread wider than the burst window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlowCallersConfig {
    pub action: RuleAction,
    pub threshold: u32,
    pub window_ms: u64,
    pub cooldown_ms: Option<u64>,
    /// Count only calls with a known ingress (trunk or source IP) that is not
    /// trusted (`lists.allow_trunks` / `allow_sources`): wholesale partners,
    /// international gateways, unknown addresses — where masked calls arrive.
    /// False: count every call.
    pub untrusted_ingress_only: bool,
}

impl Default for SlowCallersConfig {
    fn default() -> Self {
        SlowCallersConfig {
            action: RuleAction::Flag,
            threshold: 5,
            window_ms: 60_000,
            cooldown_ms: None,
            untrusted_ingress_only: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntlIngressConfig {
    pub action: RuleAction,
    /// Ingress trunk or group names classified international.
    pub trunks: Vec<String>,
    /// Source addresses or CIDRs classified international.
    pub sources: Vec<String>,
    /// Restrict "home CLI" to these prefixes (E.164 or national form); empty: the whole country code.
    pub home_cli_prefixes: Vec<String>,
    /// Own subscribers currently registered abroad (from the HLR/HSS): their
    /// home CLI on an international ingress is a roamer calling home, not masking.
    pub roaming_a_numbers: Vec<String>,
    /// Alerts group the offending CLIs of one trunk or source over this window.
    pub window_ms: u64,
    pub cooldown_ms: Option<u64>,
}

impl Default for IntlIngressConfig {
    fn default() -> Self {
        IntlIngressConfig {
            action: RuleAction::Block,
            trunks: Vec::new(),
            sources: Vec::new(),
            home_cli_prefixes: Vec::new(),
            roaming_a_numbers: Vec::new(),
            window_ms: 60_000,
            cooldown_ms: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvalidCliConfig {
    pub action: RuleAction,
    /// Barred number ranges (prefixes, E.164 or national form).
    pub barred_prefixes: Vec<String>,
    /// Unallocated number ranges.
    pub unallocated_prefixes: Vec<String>,
}

impl Default for InvalidCliConfig {
    fn default() -> Self {
        InvalidCliConfig {
            action: RuleAction::Flag,
            barred_prefixes: Vec::new(),
            unallocated_prefixes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    pub distinct_callers: WindowRuleConfig,
    pub distinct_callers_slow: SlowCallersConfig,
    pub cli_velocity: WindowRuleConfig,
    pub cli_rotation: WindowRuleConfig,
    pub intl_ingress_local_cli: IntlIngressConfig,
    pub invalid_cli: InvalidCliConfig,
}

impl RulesConfig {
    /// The rules of the common window shape, with their names in the config.
    fn window_rules(&self) -> [(&'static str, &WindowRuleConfig); 3] {
        [
            ("distinct_callers", &self.distinct_callers),
            ("cli_velocity", &self.cli_velocity),
            ("cli_rotation", &self.cli_rotation),
        ]
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            distinct_callers: WindowRuleConfig {
                action: RuleAction::Block,
                threshold: 5,
                window_ms: 5_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
            },
            distinct_callers_slow: SlowCallersConfig::default(),
            cli_velocity: WindowRuleConfig {
                action: RuleAction::Flag,
                threshold: 15,
                window_ms: 60_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
            },
            cli_rotation: WindowRuleConfig {
                action: RuleAction::Flag,
                threshold: 20,
                window_ms: 10_000,
                cooldown_ms: None,
                trunk_thresholds: BTreeMap::new(),
            },
            intl_ingress_local_cli: IntlIngressConfig::default(),
            invalid_cli: InvalidCliConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// At most one alert per rule and key in this time (event time).
    pub cooldown_ms: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            cooldown_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoBlockConfig {
    /// Deny the A-numbers of a blocking alert for `duration_ms`.
    pub enabled: bool,
    pub duration_ms: u64,
}

impl Default for AutoBlockConfig {
    fn default() -> Self {
        AutoBlockConfig {
            enabled: false,
            duration_ms: 3_600_000,
        }
    }
}

/// Numbers are exact (`+2348031234567`, `08031234567`) or prefixes ending in `*`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListsConfig {
    /// Called numbers that many callers legitimately reach (hotlines, banks, call centres):
    /// never counted by `distinct_callers`.
    pub allow_b_numbers: Vec<String>,
    /// Calling numbers exempt from CLI rules (velocity, invalid, international ingress, auto-block).
    pub allow_a_numbers: Vec<String>,
    /// Trusted sources (IP or CIDR): exempt from `cli_rotation` and `intl_ingress_local_cli`.
    pub allow_sources: Vec<String>,
    /// Trusted ingress trunks, as `allow_sources`.
    pub allow_trunks: Vec<String>,
    /// Calling numbers always blocked.
    pub deny_a_numbers: Vec<String>,
    /// Sources (IP or CIDR) always blocked.
    pub deny_sources: Vec<String>,
    /// Ingress trunks always blocked.
    pub deny_trunks: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Memory,
    Redis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub kind: StoreKind,
    /// Embedded store: most keys tracked; new keys beyond it are not tracked (`store_capacity`).
    pub max_keys: usize,
    /// Most members one window keeps (oldest dropped first).
    pub max_members_per_key: usize,
    /// Redis store: the server (`redis://host:6379`, `rediss://`, `unix:///path`).
    pub url: String,
    /// Redis store: several seed nodes; implies `cluster = true` when more than one.
    pub urls: Vec<String>,
    /// Redis store: talk Redis Cluster protocol (slot routing, MOVED/ASK).
    pub cluster: bool,
    /// Redis store: longest a check waits for the store before failing open (`store_unavailable`).
    pub budget_ms: u64,
    /// Redis store: longest an explicit (re)connect waits; inside a check also capped by `budget_ms`.
    pub connect_timeout_ms: u64,
    /// Redis store: consecutive failures that open the circuit breaker.
    pub breaker_failures: u32,
    /// Redis store: how long an open breaker skips the store before one probe is let through.
    pub breaker_cooldown_ms: u64,
    /// Redis store: prefix of every key (`acm:{dc:+234...}:z`).
    pub key_prefix: String,
    /// Redis store: wall-clock grace added to key expiries (window + slack, cooldown + slack),
    /// so late events still find their window.
    pub expiry_slack_ms: u64,
    /// Redis store: how often nodes poll the shared-lists version.
    pub lists_poll_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKind::Memory,
            max_keys: 1_000_000,
            max_members_per_key: 10_000,
            url: "redis://127.0.0.1:6379".into(),
            urls: Vec::new(),
            cluster: false,
            budget_ms: 25,
            connect_timeout_ms: 200,
            breaker_failures: 5,
            breaker_cooldown_ms: 1_000,
            key_prefix: "acm".into(),
            expiry_slack_ms: 60_000,
            lists_poll_ms: 1_000,
        }
    }
}

impl StoreConfig {
    /// The seed URLs: `urls` when given, else `url`.
    pub fn seed_urls(&self) -> Vec<String> {
        if self.urls.is_empty() {
            vec![self.url.clone()]
        } else {
            self.urls.clone()
        }
    }

    /// Whether the Redis client must speak the cluster protocol.
    pub fn is_cluster(&self) -> bool {
        self.cluster || self.urls.len() > 1
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_keys < 1024 {
            return Err(ConfigError::new("store.max_keys", "must be at least 1024"));
        }
        if self.max_members_per_key == 0 {
            return Err(ConfigError::new(
                "store.max_members_per_key",
                "must be at least 1",
            ));
        }
        let url_ok = |u: &str| {
            ["redis://", "rediss://", "unix://", "redis+unix://"]
                .iter()
                .any(|s| u.starts_with(s))
        };
        if !url_ok(&self.url) {
            return Err(ConfigError::new(
                "store.url",
                format!("{:?} is not a redis:// rediss:// or unix:// URL", self.url),
            ));
        }
        if let Some(u) = self.urls.iter().find(|u| !url_ok(u)) {
            return Err(ConfigError::new(
                "store.urls",
                format!("{u:?} is not a redis:// or rediss:// URL"),
            ));
        }
        if self.budget_ms == 0 || self.budget_ms > 10_000 {
            return Err(ConfigError::new(
                "store.budget_ms",
                "must be between 1 and 10000 ms",
            ));
        }
        if self.connect_timeout_ms == 0 || self.connect_timeout_ms > 60_000 {
            return Err(ConfigError::new(
                "store.connect_timeout_ms",
                "must be between 1 and 60000 ms",
            ));
        }
        if self.breaker_failures == 0 {
            return Err(ConfigError::new(
                "store.breaker_failures",
                "must be at least 1",
            ));
        }
        if self.breaker_cooldown_ms == 0 || self.breaker_cooldown_ms > 3_600_000 {
            return Err(ConfigError::new(
                "store.breaker_cooldown_ms",
                "must be between 1 ms and 1 hour",
            ));
        }
        let p = &self.key_prefix;
        if p.is_empty()
            || p.len() > 32
            || p.bytes()
                .any(|b| b == b'{' || b == b'}' || b.is_ascii_whitespace())
        {
            return Err(ConfigError::new(
                "store.key_prefix",
                "must be 1 to 32 characters without braces or spaces",
            ));
        }
        if self.expiry_slack_ms > 7 * 24 * 3_600_000 {
            return Err(ConfigError::new(
                "store.expiry_slack_ms",
                "must be at most 7 days",
            ));
        }
        if self.lists_poll_ms < 50 {
            return Err(ConfigError::new(
                "store.lists_poll_ms",
                "must be at least 50 ms",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    pub listen: String,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Most events in one `POST /v1/events` batch.
    pub max_batch_events: usize,
    /// Bearer token of the admin API (`/v1/admin/...`); empty disables it (404).
    pub admin_token: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: "0.0.0.0:8080".into(),
            max_body_bytes: 1 << 20,
            max_batch_events: 10_000,
            admin_token: String::new(),
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
    pub lists: ListsConfig,
    pub store: StoreConfig,
    pub serve: ServeConfig,
    /// Where verdicts and alerts are drained. Absent: nowhere (counted only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clickhouse: Option<crate::pipeline::PipelineConfig>,
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
            .map_err(|e| ConfigError::new(toml_error_key(&e), e.message().to_string()))?;
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
        let cfg: Config = Config::deserialize(toml::Value::Table(tree)).map_err(|e| {
            let mut reason = e.message().to_string();
            if !applied.is_empty() {
                reason.push_str(&format!(
                    " (environment overrides applied: {})",
                    applied.join(", ")
                ));
            }
            ConfigError::new(toml_error_key(&e), reason)
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A window keeps at most `store.max_members_per_key` members, so a rule whose threshold
    /// (or a trunk's) lies above it could never fire: refused rather than silently disabled.
    fn check_member_cap(&self) -> Result<(), ConfigError> {
        let cap = self.store.max_members_per_key;
        let ds = &self.rules.distinct_callers_slow;
        let mut thresholds: Vec<(String, u32)> = vec![];
        if ds.action != RuleAction::Off {
            thresholds.push(("rules.distinct_callers_slow.threshold".into(), ds.threshold));
        }
        for (name, r) in self.rules.window_rules() {
            if r.action == RuleAction::Off {
                continue;
            }
            thresholds.push((format!("rules.{name}.threshold"), r.threshold));
            for (trunk, t) in &r.trunk_thresholds {
                thresholds.push((format!("rules.{name}.trunk_thresholds.{trunk}"), *t));
            }
        }
        match thresholds.into_iter().find(|(_, t)| *t as usize > cap) {
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

    /// Semantic checks the types cannot express. Each error names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let n = &self.numbering;
        if n.country_code.is_empty() || n.country_code.len() > 3 || !all_digits(&n.country_code) {
            return Err(ConfigError::new(
                "numbering.country_code",
                "must be 1 to 3 digits, e.g. \"234\"",
            ));
        }
        if n.country_code.starts_with('0') {
            return Err(ConfigError::new(
                "numbering.country_code",
                "cannot start with 0",
            ));
        }
        if !all_digits(&n.national_prefix) {
            return Err(ConfigError::new(
                "numbering.national_prefix",
                "must be digits (or empty)",
            ));
        }
        for p in &n.international_prefixes {
            if p.is_empty() || !all_digits(p) {
                return Err(ConfigError::new(
                    "numbering.international_prefixes",
                    format!("{p:?} is not digits"),
                ));
            }
        }
        if n.national_number_lengths.iter().any(|&l| l == 0 || l > 14) {
            return Err(ConfigError::new(
                "numbering.national_number_lengths",
                "each length must be 1 to 14",
            ));
        }
        for (name, r) in self.rules.window_rules() {
            if r.threshold == 0 {
                return Err(ConfigError::new(
                    format!("rules.{name}.threshold"),
                    "must be at least 1",
                ));
            }
            check_window(&format!("rules.{name}.window_ms"), r.window_ms)?;
            if let Some(c) = r.cooldown_ms {
                check_window(&format!("rules.{name}.cooldown_ms"), c)?;
            }
            for (trunk, t) in &r.trunk_thresholds {
                if trunk.trim().is_empty() || *t == 0 {
                    return Err(ConfigError::new(
                        format!("rules.{name}.trunk_thresholds"),
                        format!(
                            "{trunk:?} = {t}: needs a trunk name and a threshold of at least 1"
                        ),
                    ));
                }
            }
        }
        let ds = &self.rules.distinct_callers_slow;
        if ds.threshold == 0 {
            return Err(ConfigError::new(
                "rules.distinct_callers_slow.threshold",
                "must be at least 1",
            ));
        }
        check_window("rules.distinct_callers_slow.window_ms", ds.window_ms)?;
        if let Some(c) = ds.cooldown_ms {
            check_window("rules.distinct_callers_slow.cooldown_ms", c)?;
        }
        let il = &self.rules.intl_ingress_local_cli;
        check_window("rules.intl_ingress_local_cli.window_ms", il.window_ms)?;
        for s in &il.sources {
            parse_net(s)
                .map_err(|r| ConfigError::new("rules.intl_ingress_local_cli.sources", r))?;
        }
        check_window("alerts.cooldown_ms", self.alerts.cooldown_ms)?;
        if self.auto_block.enabled {
            check_window("auto_block.duration_ms", self.auto_block.duration_ms)?;
        }
        for (key, list) in [
            ("lists.allow_sources", &self.lists.allow_sources),
            ("lists.deny_sources", &self.lists.deny_sources),
        ] {
            for s in list {
                parse_net(s).map_err(|r| ConfigError::new(key, r))?;
            }
        }
        for (key, list) in [
            ("lists.allow_b_numbers", &self.lists.allow_b_numbers),
            ("lists.allow_a_numbers", &self.lists.allow_a_numbers),
            ("lists.deny_a_numbers", &self.lists.deny_a_numbers),
            (
                "rules.invalid_cli.barred_prefixes",
                &self.rules.invalid_cli.barred_prefixes,
            ),
            (
                "rules.invalid_cli.unallocated_prefixes",
                &self.rules.invalid_cli.unallocated_prefixes,
            ),
            (
                "rules.intl_ingress_local_cli.home_cli_prefixes",
                &self.rules.intl_ingress_local_cli.home_cli_prefixes,
            ),
            (
                "rules.intl_ingress_local_cli.roaming_a_numbers",
                &self.rules.intl_ingress_local_cli.roaming_a_numbers,
            ),
        ] {
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
        }
        self.store.validate()?;
        self.check_member_cap()?;
        if self.serve.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "serve.listen",
                format!("{:?} is not an address:port", self.serve.listen),
            ));
        }
        if self.serve.max_body_bytes < 1024 {
            return Err(ConfigError::new(
                "serve.max_body_bytes",
                "must be at least 1024",
            ));
        }
        if self.serve.max_batch_events == 0 {
            return Err(ConfigError::new(
                "serve.max_batch_events",
                "must be at least 1",
            ));
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

fn all_digits(s: &str) -> bool {
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
    let typed = t == "true"
        || t == "false"
        || t.starts_with('[')
        || (!t.is_empty()
            && t.bytes().all(|b| b.is_ascii_digit())
            && (t == "0" || !t.starts_with('0')));
    if typed {
        if let Ok(tbl) = toml::from_str::<toml::Table>(&format!("v = {t}")) {
            if let Some(val) = tbl.get("v") {
                return val.clone();
            }
        }
    }
    toml::Value::String(v.to_string())
}

fn toml_error_key(e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => format!("(file, bytes {}..{})", span.start, span.end),
        None => "(file)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.rules.distinct_callers.threshold, 5);
        assert_eq!(c.rules.distinct_callers.window_ms, 5000);
        assert_eq!(c.alerts.cooldown_ms, 60_000);
        assert_eq!(c.serve.listen, "0.0.0.0:8080");
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../cfg-examples/acm.toml");
        Config::from_toml(text).unwrap();
    }

    #[test]
    fn the_example_clickhouse_section_shows_the_defaults() {
        // It ships commented out (no pipeline unless asked for); uncommented it must parse,
        // name every key, and say what the defaults are.
        let text = include_str!("../cfg-examples/acm.toml");
        let section = &text[text.find("#[clickhouse]").expect("a [clickhouse] section")..];
        let uncommented: String = section
            .lines()
            .take_while(|l| l.starts_with('#'))
            .filter(|l| !l.starts_with("# "))
            .map(|l| format!("{}\n", &l[1..]))
            .collect();
        let c = Config::from_toml(&uncommented).unwrap();
        assert_eq!(
            c.clickhouse,
            Some(crate::pipeline::PipelineConfig::default())
        );
        let keys = uncommented.lines().filter(|l| l.contains(" = ")).count();
        let fields = toml::Value::try_from(crate::pipeline::PipelineConfig::default())
            .unwrap()
            .as_table()
            .unwrap()
            .len();
        assert_eq!(keys, fields, "every [clickhouse] key is in the example");
    }

    #[test]
    fn a_member_cap_below_a_threshold_is_refused() {
        let e = Config::from_toml(
            "[store]\nmax_members_per_key = 20\n[rules.cli_velocity]\nthreshold = 10\n\
             [rules.cli_velocity.trunk_thresholds]\nwholesale = 30\n",
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
        let e = Config::from_toml("[serve]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(e.key, "serve.listen");
        let e = Config::from_toml("[lists]\ndeny_a_numbers = [\"abc\"]\n").unwrap_err();
        assert_eq!(e.key, "lists.deny_a_numbers");
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
        assert_eq!(c.numbering.national_prefix, "0");
        assert_eq!(c.numbering.international_prefixes, vec!["00"]);
        assert_eq!(c.serve.listen, "127.0.0.1:9999");
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
        assert_eq!(ds.window_ms, 60_000, "the other keys keep their defaults");
        assert_eq!(ds.action, RuleAction::Flag);
        assert!(ds.untrusted_ingress_only);
        assert_eq!(c.rules.cli_velocity.trunk_thresholds["MSC-1"], 10);
        assert_eq!(c.rules.cli_velocity.threshold, 15);
        for (toml, key) in [
            (
                "[rules.distinct_callers_slow]\nthreshold = 0\n",
                "rules.distinct_callers_slow.threshold",
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
        assert_eq!(c.rules.distinct_callers.window_ms, 5000);
        assert_eq!(c.rules.distinct_callers.action, RuleAction::Block);
    }
}
