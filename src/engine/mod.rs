//! The detection engine: one call in, one verdict out.
//!
//! The engine never does I/O itself. [`Engine::prepare`] validates and
//! normalises a call, applies the list and per-call rules, and writes down the
//! window updates the call needs as one [`StoreRequest`]. A store applies it
//! (in memory, or in one round trip to Redis) and [`Engine::conclude`] turns the
//! answer — or the store's failure — into a [`Verdict`]. [`Engine::check`] does
//! the three steps with a synchronous store; `acm serve` runs the middle step
//! asynchronously. Keeping the algorithm apart from where state lives is what
//! lets every store share one rule test suite.

pub mod call;
pub mod lists;
pub mod verdict;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use compact_str::{CompactString, ToCompactString};
use smallvec::SmallVec;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, Mode};
use crate::number::{NumberingPlan, E164};
use crate::store::{
    AlertState, BlockEntry, StoreAnswer, StoreError, StoreRequest, WindowOp, WindowStore,
};
pub use call::{Attestation, Call, InputError};
use lists::{prefix_key, Lists, NameSet, NetSet, NumberSet};
pub use verdict::{Action, Alert, Evidence, Reason, Reasons, Verdict, WindowRule};

/// A window rule ready to run: its action, threshold, window and cooldown.
#[derive(Debug, Clone, Copy)]
pub struct WindowParams {
    pub action: Option<Action>,
    pub threshold: u32,
    pub window_ms: i64,
    pub cooldown_ms: i64,
    /// Most members the window keeps (see [`member_cap`]).
    pub member_cap: u32,
}

/// How many members a window of a rule keeps: four times the highest
/// threshold it is judged against (per-trunk ones included), at least 64, at
/// most `store.max_members_per_key`. A window keeps its newest members, so
/// every threshold decision is exact while the cap is at or above the
/// threshold; a count above the cap reads as the cap. Memory per key is then
/// bounded by the rule, not by the traffic: a trunk presenting 10,000 CLIs a
/// minute costs no more than one presenting 80.
pub fn member_cap(max_threshold: u32, max_members_per_key: usize) -> u32 {
    let cap = max_threshold.saturating_mul(4).max(64) as usize;
    cap.min(max_members_per_key).clamp(1, u32::MAX as usize) as u32
}

/// Thresholds that replace a rule's own for calls arriving on given trunks.
#[derive(Debug, Clone, Default)]
pub struct TrunkThresholds(hashbrown::HashMap<CompactString, u32>);

impl TrunkThresholds {
    fn new(m: &std::collections::BTreeMap<String, u32>) -> TrunkThresholds {
        TrunkThresholds(
            m.iter()
                .map(|(k, v)| (CompactString::from(k.trim()), *v))
                .collect(),
        )
    }
    fn get(&self, trunk: Option<&str>) -> Option<u32> {
        if self.0.is_empty() {
            return None;
        }
        trunk.and_then(|t| self.0.get(t).copied())
    }
}

/// A configuration compiled for the hot path.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub mode: Mode,
    pub plan: NumberingPlan,
    pub lists: Lists,
    pub distinct_callers: WindowParams,
    pub cli_velocity: WindowParams,
    pub cli_rotation: WindowParams,
    pub intl_ingress: WindowParams,
    /// The slow tier of `distinct_callers`.
    pub distinct_callers_slow: WindowParams,
    /// Whether the slow tier counts only calls from a known, untrusted ingress.
    pub slow_untrusted_only: bool,
    /// Per-trunk thresholds of `distinct_callers`, `cli_velocity`, `cli_rotation`.
    pub trunk_thresholds: [TrunkThresholds; 3],
    pub intl_trunks: NameSet,
    pub intl_sources: NetSet,
    /// Own subscribers registered abroad: exempt from `intl_ingress_local_cli`.
    pub roamers: NumberSet,
    /// `+`-form prefixes of home CLIs; empty means the whole country code.
    pub home_cli_prefixes: Vec<CompactString>,
    pub invalid_cli_action: Option<Action>,
    pub invalid_prefixes: NumberSet,
    pub auto_block_ms: Option<i64>,
}

impl EngineConfig {
    pub fn from_config(cfg: &Config) -> Result<EngineConfig, ConfigError> {
        cfg.validate()?;
        let n = &cfg.numbering;
        let mut intl: Vec<CompactString> = n
            .international_prefixes
            .iter()
            .map(|p| p.as_str().into())
            .collect();
        intl.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let plan = NumberingPlan {
            country_code: n.country_code.as_str().into(),
            national_prefix: n.national_prefix.as_str().into(),
            international_prefixes: intl,
            national_number_lengths: n.national_number_lengths.clone(),
        };
        let cooldown = cfg.alerts.cooldown_ms as i64;
        let max_members = cfg.store.max_members_per_key;
        let w = |r: &crate::config::WindowRuleConfig| {
            let highest = r
                .trunk_thresholds
                .values()
                .fold(r.threshold, |m, &t| m.max(t));
            WindowParams {
                action: r.action.action(),
                threshold: r.threshold,
                window_ms: r.window_ms as i64,
                cooldown_ms: r.cooldown_ms.map(|c| c as i64).unwrap_or(cooldown),
                member_cap: member_cap(highest, max_members),
            }
        };
        let il = &cfg.rules.intl_ingress_local_cli;
        let ic = &cfg.rules.invalid_cli;
        let mut invalid: Vec<String> = Vec::new();
        for p in ic.barred_prefixes.iter().chain(&ic.unallocated_prefixes) {
            invalid.push(if p.ends_with('*') {
                p.clone()
            } else {
                format!("{p}*")
            });
        }
        Ok(EngineConfig {
            mode: cfg.mode,
            lists: Lists::new(&plan, &cfg.lists),
            distinct_callers: w(&cfg.rules.distinct_callers),
            cli_velocity: w(&cfg.rules.cli_velocity),
            cli_rotation: w(&cfg.rules.cli_rotation),
            intl_ingress: WindowParams {
                action: il.action.action(),
                threshold: 1,
                window_ms: il.window_ms as i64,
                cooldown_ms: il.cooldown_ms.map(|c| c as i64).unwrap_or(cooldown),
                member_cap: member_cap(1, max_members),
            },
            distinct_callers_slow: {
                let ds = &cfg.rules.distinct_callers_slow;
                WindowParams {
                    action: ds.action.action(),
                    threshold: ds.threshold,
                    window_ms: ds.window_ms as i64,
                    cooldown_ms: ds.cooldown_ms.map(|c| c as i64).unwrap_or(cooldown),
                    member_cap: member_cap(ds.threshold, max_members),
                }
            },
            slow_untrusted_only: cfg.rules.distinct_callers_slow.untrusted_ingress_only,
            trunk_thresholds: [
                TrunkThresholds::new(&cfg.rules.distinct_callers.trunk_thresholds),
                TrunkThresholds::new(&cfg.rules.cli_velocity.trunk_thresholds),
                TrunkThresholds::new(&cfg.rules.cli_rotation.trunk_thresholds),
            ],
            intl_trunks: NameSet::new(&il.trunks),
            intl_sources: NetSet::new(&il.sources),
            roamers: NumberSet::new(&plan, &il.roaming_a_numbers),
            home_cli_prefixes: il
                .home_cli_prefixes
                .iter()
                .map(|p| prefix_key(&plan, p.strip_suffix('*').unwrap_or(p)))
                .collect(),
            invalid_cli_action: ic.action.action(),
            invalid_prefixes: NumberSet::new(&plan, &invalid),
            auto_block_ms: cfg
                .auto_block
                .enabled
                .then_some(cfg.auto_block.duration_ms as i64),
            plan,
        })
    }

    fn params(&self, rule: WindowRule) -> &WindowParams {
        match rule {
            WindowRule::DistinctCallers => &self.distinct_callers,
            WindowRule::CliVelocity => &self.cli_velocity,
            WindowRule::CliRotation => &self.cli_rotation,
            WindowRule::IntlIngressLocalCli => &self.intl_ingress,
            WindowRule::DistinctCallersSlow => &self.distinct_callers_slow,
        }
    }

    /// The threshold a call on `trunk` is judged against for `rule`.
    fn threshold_for(&self, rule: WindowRule, trunk: Option<&str>) -> u32 {
        let per_trunk = match rule {
            WindowRule::DistinctCallers => self.trunk_thresholds[0].get(trunk),
            WindowRule::CliVelocity => self.trunk_thresholds[1].get(trunk),
            WindowRule::CliRotation => self.trunk_thresholds[2].get(trunk),
            _ => None,
        };
        per_trunk.unwrap_or(self.params(rule).threshold)
    }

    fn is_home_cli(&self, n: &E164) -> bool {
        if !n.starts_with(&self.plan.country_code) {
            return false;
        }
        if self.home_cli_prefixes.is_empty() {
            return true;
        }
        let plus = n.to_plus();
        self.home_cli_prefixes
            .iter()
            .any(|p| plus.starts_with(p.as_str()))
    }
}

/// Counters of the engine, read by `/metrics` and the Kamailio RPC.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub checks: AtomicU64,
    pub bad_input: AtomicU64,
    pub actions: [AtomicU64; 3],
    pub reasons: [AtomicU64; Reason::ALL.len()],
    pub alerts: [AtomicU64; WindowRule::ALL.len()],
    pub store_errors: AtomicU64,
}

impl EngineStats {
    pub fn action_count(&self, a: Action) -> u64 {
        self.actions[a as usize].load(Ordering::Relaxed)
    }
    pub fn reason_count(&self, r: Reason) -> u64 {
        self.reasons[r as usize].load(Ordering::Relaxed)
    }
    pub fn alert_count(&self, r: WindowRule) -> u64 {
        self.alerts[r.index()].load(Ordering::Relaxed)
    }
    /// Counts a verdict produced outside `conclude` (fail-open answers at the C ABI).
    pub fn record(&self, v: &Verdict) {
        self.checks.fetch_add(1, Ordering::Relaxed);
        self.actions[v.action as usize].fetch_add(1, Ordering::Relaxed);
        for r in v.reasons.iter() {
            self.reasons[r as usize].fetch_add(1, Ordering::Relaxed);
        }
        for a in &v.new_alerts {
            self.alerts[a.rule.index()].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A call after the per-call rules, waiting for its window answers.
#[derive(Debug, Clone)]
pub struct Prepared {
    cfg: Arc<EngineConfig>,
    /// What the store must do for this call; empty when nothing is windowed.
    pub request: StoreRequest,
    verdict: Verdict,
    /// A static (list or per-call) rule fired with this action.
    static_action: Option<Action>,
}

impl Prepared {
    /// True when the call needs no store at all (denied, or no window rule applies).
    pub fn store_free(&self) -> bool {
        self.request.windows.is_empty() && self.request.block_lookup.is_none()
    }
}

/// The engine. Cheap to share: `Arc<Engine>` across threads.
pub struct Engine {
    cfg: ArcSwap<EngineConfig>,
    clock: Arc<dyn Clock>,
    stats: EngineStats,
}

/// FNV-1a: a tiny hash that is stable across processes, builds and versions,
/// used where two nodes must derive the same value (alert ids, call-id members).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `v` as 16 lower-case hex digits (the velocity window's member for a Call-ID).
fn hex16(v: u64) -> CompactString {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    CompactString::from(crate::number::ascii(&buf))
}

/// The window key of a source address: its usual text form. IPv4 (nearly every
/// SIP peer) is written by hand; the formatter costs more than the rest of it.
fn source_ip_key(ip: std::net::IpAddr) -> CompactString {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_compact_string();
    };
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            buf[n] = b'0' + octet / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + octet % 10;
        n += 1;
    }
    CompactString::from(crate::number::ascii(&buf[..n]))
}

impl Engine {
    pub fn new(cfg: EngineConfig, clock: Arc<dyn Clock>) -> Engine {
        Engine {
            cfg: ArcSwap::from_pointee(cfg),
            clock,
            stats: EngineStats::default(),
        }
    }

    pub fn from_config(cfg: &Config, clock: Arc<dyn Clock>) -> Result<Engine, ConfigError> {
        Ok(Engine::new(EngineConfig::from_config(cfg)?, clock))
    }

    /// Swaps in a new configuration; checks in flight finish on the old one.
    pub fn reload(&self, cfg: EngineConfig) {
        self.cfg.store(Arc::new(cfg));
    }

    pub fn config(&self) -> Arc<EngineConfig> {
        self.cfg.load_full()
    }

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Validates the call, applies lists and per-call rules, and plans the
    /// window updates. A refused call changes no state and counts as bad input.
    pub fn prepare(&self, call: &Call) -> Result<Prepared, InputError> {
        self.prepare_hinting(call, |_| {})
    }

    /// [`Engine::prepare`], telling `hint` each window key as soon as it is
    /// known, so that a store can start fetching it while the rest of the
    /// call is worked out.
    #[inline]
    pub fn prepare_hinting(
        &self,
        call: &Call,
        mut hint: impl FnMut(&str),
    ) -> Result<Prepared, InputError> {
        if let Err(e) = call.validate() {
            self.stats.bad_input.fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
        let cfg = self.cfg.load_full();
        let t = call.time_ms.unwrap_or_else(|| self.clock.now_ms());
        let b_key = cfg.plan.key_of(&call.b_number);
        hint(&b_key);

        // The CLI: the From user, or the PAI when From is withheld.
        let withheld =
            call::is_blank(&call.a_number) || call.a_number.eq_ignore_ascii_case("anonymous");
        let cli_raw: &str = match (&call.pai, withheld) {
            (Some(p), true) if !call::is_blank(p) => p,
            _ => &call.a_number,
        };
        let cli = cfg.plan.normalise(cli_raw);
        let a_key = match &cli {
            Ok(n) => n.to_plus(),
            Err(_) => cfg.plan.key_of(cli_raw),
        };
        hint(&a_key);
        let call_id: CompactString = if call.call_id.is_empty() {
            let mut seed = Vec::with_capacity(64);
            seed.extend_from_slice(a_key.as_bytes());
            seed.extend_from_slice(b_key.as_bytes());
            seed.extend_from_slice(&t.to_le_bytes());
            format!("gen-{:016x}", stable_hash(&seed)).into()
        } else {
            call.call_id.clone()
        };
        let trunk = call.trunk.as_deref().filter(|t| !t.is_empty());
        let source_key: Option<CompactString> = match (trunk, call.source_ip) {
            (Some(t), _) => Some(compact_str::format_compact!("trunk:{t}")),
            (None, Some(ip)) => Some(source_ip_key(ip)),
            (None, None) => None,
        };

        let mut verdict = Verdict {
            action: Action::Allow,
            reasons: Reasons::default(),
            alert_id: None,
            new_alerts: Vec::new(),
            distinct_callers: 0,
            cli_calls: 0,
            rotation_clis: 0,
            time_ms: t,
            a_number: a_key.clone(),
            b_number: b_key.clone(),
        };
        let lists = &cfg.lists;

        // Deny lists end the check: no window is touched.
        if lists.deny_a.contains(&a_key) || lists.source_denied(call.source_ip, trunk) {
            verdict.reasons.insert(Reason::Denylist);
            return Ok(Prepared {
                cfg,
                request: StoreRequest::default(),
                verdict,
                static_action: Some(Action::Block),
            });
        }
        let a_allowed = lists.allow_a.contains(&a_key);
        let b_allowed = lists.allow_b.contains(&b_key);
        let source_allowed = lists.source_allowed(call.source_ip, trunk);
        if a_allowed || b_allowed || source_allowed {
            verdict.reasons.insert(Reason::Allowlist);
        }
        let mut static_action: Option<Action> = None;
        let mut fire = |v: &mut Verdict, action: Option<Action>, reason: Reason| {
            if let Some(a) = action {
                v.reasons.insert(reason);
                static_action = static_action.max(Some(a));
            }
        };

        // invalid_cli: not a plausible E.164 number, or a barred/unallocated range.
        if !a_allowed {
            let invalid = match &cli {
                Err(_) => true,
                Ok(_) => cfg.invalid_prefixes.contains(&a_key),
            };
            if invalid {
                fire(&mut verdict, cfg.invalid_cli_action, Reason::InvalidCli);
            }
        }

        let evidence = Evidence {
            time_ms: t,
            call_id,
            a_number: a_key.clone(),
            b_number: b_key.clone(),
            source: source_key.clone().unwrap_or_default(),
        };
        let mut ops: SmallVec<[WindowOp; 4]> = SmallVec::new();
        let mut plan_op = |rule: WindowRule, key: CompactString, member: CompactString| {
            let p = cfg.params(rule);
            ops.push(WindowOp {
                rule,
                key,
                member,
                time_ms: t,
                window_ms: p.window_ms,
                threshold: cfg.threshold_for(rule, trunk),
                cooldown_ms: p.cooldown_ms,
                member_cap: p.member_cap,
            });
        };

        // intl_ingress_local_cli: a home CLI (From or PAI) on an international ingress.
        if cfg.intl_ingress.action.is_some() && !a_allowed && !source_allowed {
            let intl = trunk.is_some_and(|t| cfg.intl_trunks.contains(t))
                || call
                    .source_ip
                    .is_some_and(|ip| cfg.intl_sources.contains(ip));
            let pai = call.pai.as_deref().and_then(|p| cfg.plan.normalise(p).ok());
            let cli_home = cli.as_ref().ok().filter(|n| cfg.is_home_cli(n));
            let pai_home = pai.as_ref().filter(|n| cfg.is_home_cli(n));
            let home = cli_home.is_some() || pai_home.is_some();
            // A listed roamer calling home: every home number it presents is listed.
            let roamer = home
                && !cfg.roamers.is_empty()
                && cli_home.is_none_or(|n| cfg.roamers.contains(&n.to_plus()))
                && pai_home.is_none_or(|n| cfg.roamers.contains(&n.to_plus()));
            if intl && home && !roamer {
                fire(
                    &mut verdict,
                    cfg.intl_ingress.action,
                    Reason::IntlIngressLocalCli,
                );
                if let Some(src) = &source_key {
                    plan_op(WindowRule::IntlIngressLocalCli, src.clone(), a_key.clone());
                }
            }
        }
        if cfg.distinct_callers.action.is_some() && !b_allowed {
            plan_op(WindowRule::DistinctCallers, b_key.clone(), a_key.clone());
        }
        // The slow tier: fan-in spread wider than the burst window, counted on
        // a known, untrusted ingress only unless configured otherwise.
        if cfg.distinct_callers_slow.action.is_some()
            && !b_allowed
            && (!cfg.slow_untrusted_only || (source_key.is_some() && !source_allowed))
        {
            plan_op(
                WindowRule::DistinctCallersSlow,
                b_key.clone(),
                a_key.clone(),
            );
        }
        if cfg.cli_velocity.action.is_some() && !a_allowed && cli.is_ok() {
            let member = hex16(stable_hash(evidence.call_id.as_bytes()));
            plan_op(WindowRule::CliVelocity, a_key.clone(), member);
        }
        if cfg.cli_rotation.action.is_some() && !source_allowed {
            if let Some(src) = &source_key {
                plan_op(WindowRule::CliRotation, src.clone(), a_key.clone());
            }
        }
        let mut request = StoreRequest {
            windows: ops,
            evidence,
            block_lookup: None,
        };
        if cfg.auto_block_ms.is_some() && !a_allowed {
            request.block_lookup = Some((a_key, t));
        }
        Ok(Prepared {
            cfg,
            request,
            verdict,
            static_action,
        })
    }

    /// Turns the store's answer (or its failure) into the verdict.
    #[inline]
    pub fn conclude(&self, p: Prepared, answer: Result<StoreAnswer, StoreError>) -> Verdict {
        let Prepared {
            cfg,
            request,
            mut verdict,
            static_action,
        } = p;
        let mut action = static_action.unwrap_or(Action::Allow);
        // The fast fan-in rule's alert for this call, raised or still active.
        let mut fast_fan_in_alert: Option<CompactString> = None;
        match answer {
            Err(_) => {
                self.stats.store_errors.fetch_add(1, Ordering::Relaxed);
                verdict.reasons.insert(Reason::StoreUnavailable);
            }
            Ok(ans) => {
                for (out, op) in ans.windows.into_iter().zip(&request.windows) {
                    let rule = &op.rule;
                    let params = cfg.params(*rule);
                    let threshold = op.threshold;
                    match rule {
                        WindowRule::DistinctCallers => verdict.distinct_callers = out.count,
                        WindowRule::CliVelocity => verdict.cli_calls = out.count,
                        WindowRule::CliRotation => verdict.rotation_clis = out.count,
                        WindowRule::IntlIngressLocalCli | WindowRule::DistinctCallersSlow => {}
                    }
                    if !out.tracked {
                        verdict.reasons.insert(Reason::StoreCapacity);
                    }
                    if out.count < threshold {
                        continue;
                    }
                    let rule_action = params.action.unwrap_or(Action::Flag);
                    action = action.max(rule_action);
                    verdict.reasons.insert(rule.reason());
                    if *rule == WindowRule::DistinctCallers {
                        if let AlertState::Active(id) | AlertState::Raised(id) = &out.alert {
                            fast_fan_in_alert = Some(id.clone());
                        }
                    }
                    match out.alert {
                        AlertState::None => {}
                        AlertState::Active(id) => {
                            verdict.alert_id.get_or_insert(id);
                        }
                        AlertState::Raised(id) => {
                            verdict.alert_id.get_or_insert(id.clone());
                            let key = match rule {
                                WindowRule::DistinctCallers | WindowRule::DistinctCallersSlow => {
                                    verdict.b_number.clone()
                                }
                                WindowRule::CliVelocity => verdict.a_number.clone(),
                                _ => out
                                    .evidence
                                    .last()
                                    .map(|e| e.source.clone())
                                    .unwrap_or_default(),
                            };
                            verdict.new_alerts.push(Alert {
                                id,
                                rule: *rule,
                                key,
                                action: rule_action,
                                raised_at_ms: verdict.time_ms,
                                window_ms: params.window_ms.min(u32::MAX as i64) as u32,
                                threshold,
                                count: out.count,
                                evidence: out.evidence,
                            });
                        }
                    }
                }
                // One attack, one alert: when the fast fan-in rule fired on this
                // call, the slow tier's alert for the same B-number is folded
                // into it (its cooldown still starts, so it will not follow later).
                if let Some(fast) = &fast_fan_in_alert {
                    if let Some(pos) = verdict
                        .new_alerts
                        .iter()
                        .position(|a| a.rule == WindowRule::DistinctCallersSlow)
                    {
                        let slow = verdict.new_alerts.remove(pos);
                        if verdict.alert_id.as_ref() == Some(&slow.id) {
                            verdict.alert_id = Some(fast.clone());
                        }
                    }
                }
                if let Some(b) = ans.blocked {
                    action = Action::Block;
                    verdict.reasons.insert(Reason::AutoBlock);
                    verdict.alert_id.get_or_insert(b.alert_id);
                }
            }
        }
        if action == Action::Block && cfg.mode == Mode::Monitor {
            action = Action::Flag;
            verdict.reasons.insert(Reason::MonitorOnly);
        }
        verdict.action = action;
        self.stats.record(&verdict);
        verdict
    }

    /// The auto-blocks a verdict asks for: the A-numbers of each new blocking alert.
    pub fn blocks_for(&self, v: &Verdict) -> Vec<BlockEntry> {
        let cfg = self.cfg.load();
        let Some(ms) = cfg.auto_block_ms else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for alert in v.new_alerts.iter().filter(|a| a.action == Action::Block) {
            let mut numbers: Vec<&CompactString> =
                alert.evidence.iter().map(|e| &e.a_number).collect();
            numbers.sort();
            numbers.dedup();
            for n in numbers {
                if cfg.lists.allow_a.contains(n) {
                    continue;
                }
                out.push(BlockEntry {
                    number: n.clone(),
                    until_ms: alert.raised_at_ms.saturating_add(ms),
                    alert_id: alert.id.clone(),
                });
            }
        }
        out
    }

    /// Prepare, apply on a synchronous store, conclude, record auto-blocks.
    pub fn check(&self, call: &Call, store: &dyn WindowStore) -> Result<Verdict, InputError> {
        let p = self.prepare_hinting(call, |key| store.prefetch(key))?;
        let answer = if p.store_free() {
            Ok(StoreAnswer::default())
        } else {
            store.apply(&p.request)
        };
        let v = self.conclude(p, answer);
        if !v.new_alerts.is_empty() {
            let blocks = self.blocks_for(&v);
            if !blocks.is_empty() {
                // Best effort: a failed block write leaves detection as it was.
                let _ = store.add_blocks(&blocks);
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests;
