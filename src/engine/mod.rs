// SPDX-License-Identifier: MIT OR Apache-2.0
//! The detection engine: one call in, one verdict out.
//!
//! The engine never does I/O itself. [`Engine::prepare`] validates and
//! normalises a call, applies the list and per-call rules, and writes down the
//! window updates the call needs as one [`StoreRequest`]. A store applies it
//! (in memory, or in one round trip to Redis) and [`Engine::conclude`] turns the
//! answer — or the store's failure — into a [`Verdict`]. The three steps are
//! run by [`crate::detector::Detector`], for every face of the product. Keeping
//! the algorithm apart from where state lives is what lets every store share
//! one rule test suite. The rules themselves are in [`rules`], one per file.

pub mod call;
pub mod lists;
pub mod rules;
pub mod verdict;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use compact_str::{CompactString, ToCompactString};
use smallvec::SmallVec;

use crate::clock::Clock;
use crate::config::{Config, ConfigError, Mode};
use crate::contract::{
    alert_raised_ms, ascii, stable_hash, AlertState, BlockEntry, StoreAnswer, StoreError,
    StoreRequest, WindowOp, WindowOutcome, Withdrawal,
};
use crate::number::plan::NsnPlan;
use crate::number::NumberingPlan;
pub use call::{Attestation, Call, InputError};
use lists::Lists;
pub use rules::{member_cap, CallNumber, Facts, Plan, Rule, RuleSet, Window};
pub use verdict::{Action, Alert, Counts, Evidence, Reason, Reasons, Verdict};

/// A configuration compiled for the hot path.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub mode: Mode,
    pub plan: NumberingPlan,
    pub lists: Lists,
    /// The rules that are on, and their windows.
    pub rules: RuleSet,
    pub auto_block_ms: Option<i64>,
    /// After the first call, learned rules that block only flag this long.
    pub warmup_ms: i64,
    /// The home country's numbering plan (libphonenumber), when a rule needs it.
    pub nsn: Option<Arc<NsnPlan>>,
}

impl EngineConfig {
    pub fn from_config(cfg: &Config) -> Result<EngineConfig, ConfigError> {
        cfg.validate()?;
        let n = &cfg.numbering.resolve();
        let mut intl: Vec<CompactString> = n
            .international_prefixes
            .iter()
            .map(|p| p.as_str().into())
            .collect();
        intl.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut plan = NumberingPlan {
            country_code: n.country_code.as_str().into(),
            national_prefix: n.national_prefix.as_str().into(),
            international_prefixes: intl,
            national_number_lengths: n.national_number_lengths.clone(),
            home: None,
        };
        let rc = &cfg.rules;
        let needs_plan = rc.invalid_cli.numbering_plan
            || !rc.distinct_callers_slow.b_types.is_empty()
            || [&rc.cli_fanout, &rc.cli_velocity]
                .iter()
                .any(|r| !r.cli_types.is_empty());
        // A country libphonenumber does not know keeps the length checks:
        // said once at start, never fatal. The old forms of renumbered
        // numbers need the plan to be read at all (their lengths).
        let nsn = if needs_plan || !n.legacy_prefixes.is_empty() {
            let meta = crate::number::plan::Metadata::of(n.metadata_file.as_deref())
                .map_err(|e| ConfigError::new("numbering.metadata_file", e))?;
            match NsnPlan::for_country(&n.country_code, n.region.as_deref(), meta) {
                Ok(p) => {
                    let p = p.with_legacy(&n.legacy_prefixes).with_types(&n.types);
                    if !plan.national_number_lengths.is_empty() {
                        plan.national_number_lengths.extend(p.legacy_lengths());
                        plan.national_number_lengths.sort_unstable();
                        plan.national_number_lengths.dedup();
                    }
                    Some(Arc::new(p))
                }
                Err(e) => {
                    tracing::warn!("numbering plan: {e}; CLIs are checked by length only");
                    None
                }
            }
        } else {
            None
        };
        plan.home = nsn.clone();
        let compiler = rules::Compiler {
            numbering: plan.clone(),
            default_cooldown_ms: cfg.alerts.cooldown_ms,
            max_members_per_key: cfg.store.max_members_per_key,
            learn_keep_ms: cfg.learning.keep_ms,
        };
        Ok(EngineConfig {
            mode: cfg.mode,
            lists: Lists::new(&plan, &cfg.lists),
            rules: RuleSet::compile(cfg, &compiler),
            auto_block_ms: cfg
                .auto_block
                .enabled
                .then_some(cfg.auto_block.duration_ms as i64),
            warmup_ms: cfg.learning.warmup_ms as i64,
            nsn,
            plan,
        })
    }

    /// The window a rule keeps, when the rule is on and keeps one.
    pub fn window(&self, rule: Reason) -> Option<&Window> {
        self.rules.window(rule)
    }
}

/// Counters of the engine: the one place verdicts are counted. `/metrics`,
/// the Kamailio RPC and the replay summary read them; none counts again.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub checks: AtomicU64,
    pub bad_input: AtomicU64,
    pub actions: [AtomicU64; 3],
    pub reasons: [AtomicU64; Reason::COUNT],
    /// Alerts raised, by the rule's reason.
    pub alerts: [AtomicU64; Reason::COUNT],
    /// Alerts the store raised that a verdict held back and withdrew (the
    /// ingress share, or folded into another rule's alert), by rule.
    pub withdrawn: [AtomicU64; Reason::COUNT],
    pub store_errors: AtomicU64,
    /// Calls a rule of kind spared because their CLI had standing
    /// (`rules.intl_ingress_local_cli.standing_ms`).
    pub standing_spared: AtomicU64,
}

/// The engine's counters read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub checks: u64,
    pub bad_input: u64,
    pub store_errors: u64,
    pub actions: [u64; 3],
    pub reasons: [u64; Reason::COUNT],
    pub alerts: [u64; Reason::COUNT],
    pub withdrawn: [u64; Reason::COUNT],
    pub standing_spared: u64,
}

impl StatsSnapshot {
    pub fn action(&self, a: Action) -> u64 {
        self.actions[a as usize]
    }
    pub fn reason(&self, r: Reason) -> u64 {
        self.reasons[r.index()]
    }
    pub fn alerts(&self, r: Reason) -> u64 {
        self.alerts[r.index()]
    }
    pub fn withdrawn(&self, r: Reason) -> u64 {
        self.withdrawn[r.index()]
    }
}

impl EngineStats {
    pub fn action_count(&self, a: Action) -> u64 {
        self.actions[a as usize].load(Ordering::Relaxed)
    }
    pub fn reason_count(&self, r: Reason) -> u64 {
        self.reasons[r.index()].load(Ordering::Relaxed)
    }
    pub fn alert_count(&self, r: Reason) -> u64 {
        self.alerts[r.index()].load(Ordering::Relaxed)
    }
    /// Counts a verdict (every verdict of this engine, fail-open ones included).
    pub fn record(&self, v: &Verdict) {
        self.checks.fetch_add(1, Ordering::Relaxed);
        self.actions[v.action as usize].fetch_add(1, Ordering::Relaxed);
        // The reasons' bits, set ones only (most verdicts have none).
        let mut bits = v.reasons.0;
        while bits != 0 {
            if let Some(c) = self.reasons.get(bits.trailing_zeros() as usize) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            bits &= bits - 1;
        }
        for a in &v.new_alerts {
            self.alerts[a.rule.index()].fetch_add(1, Ordering::Relaxed);
        }
    }
    pub fn snapshot(&self) -> StatsSnapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            checks: load(&self.checks),
            bad_input: load(&self.bad_input),
            store_errors: load(&self.store_errors),
            actions: std::array::from_fn(|i| load(&self.actions[i])),
            reasons: std::array::from_fn(|i| load(&self.reasons[i])),
            alerts: std::array::from_fn(|i| load(&self.alerts[i])),
            withdrawn: std::array::from_fn(|i| load(&self.withdrawn[i])),
            standing_spared: load(&self.standing_spared),
        }
    }
}

/// A call after the per-call rules, waiting for its window answers.
///
/// The check sequence keeps one in a slot of its own (`Detector::check_now`:
/// one per thread, reused call after call): [`Engine::prepare_in`] fills it
/// where it is (the rules' [`Plan`] writes the window updates straight into
/// its request) and [`Engine::conclude_in`] completes its verdict in place,
/// so the ~800 bytes of request and verdict are neither moved through
/// `Result`s nor built and dropped whole on the call path (issue 19).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// The configuration the call was prepared with (None: not prepared yet).
    /// Kept after the verdict is taken: a slot reused call after call
    /// prepares the next call with it while the engine's generation is
    /// still `cfg_gen` (no `ArcSwap` load, no reference count per call).
    cfg: Option<Arc<EngineConfig>>,
    /// The engine generation `cfg` was loaded at (0: none; see `Engine::gen`).
    cfg_gen: u64,
    /// What the store must do for this call; empty when nothing is windowed.
    pub request: StoreRequest,
    verdict: Verdict,
    /// A static (list or per-call) rule fired with this action.
    static_action: Option<Action>,
    /// Alerts the store raised on this call that the verdict does not
    /// publish: the store must forget them (see [`Withdrawal`]). Empty on
    /// nearly every call (no allocation until one is held back).
    withdrawals: Vec<Withdrawal>,
    /// A window judged only through an ingress carrying enough distinct CLIs
    /// (`rules::Plan::judge_by_ingress_clis`): its index, the least CLIs.
    ingress_scale: Option<(u8, u32, bool)>,
    /// A window counted but not judged on this call
    /// (`rules::Plan::count_unjudged`): its index.
    unjudged: Option<u8>,
    /// A share-gated window sent under the call's threshold
    /// (`rules::Plan::judge_over_every_ingress`): its index, the threshold.
    early: Option<(u8, u32)>,
    /// A rule of kind that fires unless the call's CLI has standing
    /// (`rules::Plan::fire_unless_standing`).
    standing: Option<rules::Standing>,
    /// The call's A- or B-number is allow-listed: no rule blocks it (the
    /// deny lists still do: they end the check before this is set).
    listed: bool,
}

impl Prepared {
    /// True when the call needs no store at all (denied, or no window rule
    /// applies and no callee is stamped).
    #[inline]
    pub fn store_free(&self) -> bool {
        self.request.windows.is_empty()
            && self.request.block_lookup.is_none()
            && self.request.called.is_none()
    }

    /// The verdict as it stands (final after [`Engine::conclude_in`]).
    #[inline]
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The alerts the store raised on this call and the verdict holds back
    /// (after [`Engine::conclude_in`]): give them to the store's
    /// `withdraw` so that no later call is flagged under them.
    #[inline]
    pub fn withdrawals(&self) -> &[Withdrawal] {
        &self.withdrawals
    }

    /// The verdict, moved out once at the end of the check (the slot keeps
    /// an empty one, and its configuration for the next call; it may be
    /// prepared again).
    #[inline]
    pub fn take_verdict(&mut self) -> Verdict {
        std::mem::take(&mut self.verdict)
    }
}

/// The distinct CLIs cli_rotation's window counted on the call's ingress
/// (`None` when it did not count the call).
fn ingress_clis(outs: &[WindowOutcome], ops: &[WindowOp]) -> Option<u32> {
    ops.iter()
        .zip(outs)
        .find(|(op, _)| op.rule == Reason::CliRotation)
        .map(|(_, out)| out.count)
}

/// A rule's share-gated pair in a store answer: its count over every
/// ingress followed by its per-ingress count, as (the ingress's count, every
/// ingress's). Read only when a window that borrows it reaches its threshold.
fn share_pair(outs: &[WindowOutcome], ops: &[WindowOp], rule: Reason) -> Option<(Kept, Kept)> {
    let i = companion_at(ops, rule)?;
    ops.get(i + 1).filter(|n| n.rule == rule && !n.count_only)?;
    Some((Kept::of(outs.get(i + 1)?), Kept::of(outs.get(i)?)))
}

/// Where a rule's count over every ingress (its share's companion) is in a
/// request, if it counted the call.
fn companion_at(ops: &[WindowOp], rule: Reason) -> Option<usize> {
    ops.iter()
        .position(|op| op.rule == rule && op.count_only && rules::is_all_ingresses(&op.key))
}

/// A window's count and, when it stopped at its member cap, the span of its
/// kept members (`WindowOutcome::span_ms`; 0: exact).
#[derive(Debug, Clone, Copy)]
struct Kept {
    count: u32,
    span_ms: u32,
}

impl Kept {
    fn of(out: &WindowOutcome) -> Kept {
        Kept {
            count: out.count,
            span_ms: out.span_ms,
        }
    }

    /// Whether this ingress's callers are under `share_milli` thousandths
    /// of the number's callers over every ingress (`all`). When both counts
    /// stopped at their caps they read a fixed ratio whatever the traffic
    /// (64 of 128 pass a half share), so their kept members' rates are
    /// compared instead: a crowd's 64 newest through its biggest partner
    /// span longer than its 128 newest over every ingress, while a burst
    /// through one route spans as long in both.
    fn under_share(self, share_milli: u32, all: Kept) -> bool {
        if self.span_ms > 0 && all.span_ms > 0 {
            (self.count as u128) * (all.span_ms as u128) * 1000
                < share_milli as u128 * all.count as u128 * self.span_ms as u128
        } else {
            (self.count as u64) * 1000 < share_milli as u64 * all.count as u64
        }
    }
}

/// A share-gated window sent under the call's `threshold`
/// (`rules::Plan::judge_over_every_ingress`), at index `at`: when its count
/// lies between the threshold it was sent with and the call's, the number's
/// callers over every ingress in the window must reach the call's threshold,
/// this ingress having brought at least the rule's share of them. That
/// count is the slow tier's companion's recent count where the slow tier
/// lends the share (its count within this window), else the rule's own
/// companion's. Called only for a count in that range (the caller checks).
/// `Err`: hold the window; `Ok(Some(n))`: judge it, the number had `n`
/// callers; `Ok(None)`: judge it as usual (not a share-gated window). Out of
/// line: its windows seldom reach the lower threshold.
#[inline(never)]
fn judge_early(
    cfg: &EngineConfig,
    request: &StoreRequest,
    ans: &StoreAnswer,
    at: usize,
    threshold: u32,
) -> Result<Option<u32>, ()> {
    let (Some(op), Some(out)) = (request.windows.get(at), ans.windows.get(at)) else {
        return Ok(None);
    };
    let Some(w) = cfg.rules.window(op.rule) else {
        return Ok(None);
    };
    let Some(share) = w.min_share_milli else {
        return Ok(None);
    };
    let companion = |rule: Reason| ans.windows.get(companion_at(&request.windows, rule)?);
    let every = match w.share_from.and_then(&companion) {
        Some(all) if all.recent > 0 => all.recent as u32,
        _ => match companion(op.rule) {
            Some(all) => all.count,
            None => return Err(()),
        },
    };
    let passes = every >= threshold && (out.count as u64) * 1000 >= share as u64 * every as u64;
    if passes {
        Ok(Some(every))
    } else {
        Err(())
    }
}

/// The engine. Cheap to share: `Arc<Engine>` across threads.
pub struct Engine {
    cfg: ArcSwap<EngineConfig>,
    /// Which configuration `cfg` holds, unique across every engine of the
    /// process and every reload (from [`NEXT_GEN`]): a slot that prepared a
    /// call with generation `g` may prepare the next with the same
    /// configuration while this still reads `g`.
    gen: AtomicU64,
    /// Reloads one at a time: each configuration's store and its
    /// generation's follow one another, so the last generation written is
    /// always the last configuration's.
    reloading: std::sync::Mutex<()>,
    clock: Arc<dyn Clock>,
    stats: EngineStats,
    /// Event time of the first call judged (the learning warm-up starts there).
    first_ms: std::sync::atomic::AtomicI64,
}

/// The window key of a source address: its usual text form. IPv4 (nearly every
/// SIP peer) is written by hand from a table of the octets' digits; the
/// formatter costs more than the rest of the call.
fn source_ip_key(ip: std::net::IpAddr) -> CompactString {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_compact_string();
    };
    // Four octets of at most three digits and three dots: 15 bytes, and the
    // last octet's three bytes are written whole.
    let mut buf = [0u8; 16];
    let mut n = 0;
    for (i, octet) in v4.octets().into_iter().enumerate() {
        let [d0, d1, d2, len] = OCTET_TEXT[octet as usize];
        buf[n..n + 3].copy_from_slice(&[d0, d1, d2]);
        n += len as usize;
        if i < 3 {
            buf[n] = b'.';
            n += 1;
        }
    }
    CompactString::from(ascii(&buf[..n]))
}

/// Each octet's decimal digits (three bytes, unused ones zero) and how many.
static OCTET_TEXT: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let o = i as u8;
        t[i] = if o >= 100 {
            [b'0' + o / 100, b'0' + o / 10 % 10, b'0' + o % 10, 3]
        } else if o >= 10 {
            [b'0' + o / 10, b'0' + o % 10, 0, 2]
        } else {
            [b'0' + o, 0, 0, 1]
        };
        i += 1;
    }
    t
};

/// The next configuration generation (`Engine::gen`); 0 is never given.
static NEXT_GEN: AtomicU64 = AtomicU64::new(1);

impl Engine {
    pub fn new(cfg: EngineConfig, clock: Arc<dyn Clock>) -> Engine {
        Engine {
            cfg: ArcSwap::from_pointee(cfg),
            gen: AtomicU64::new(NEXT_GEN.fetch_add(1, Ordering::Relaxed)),
            reloading: std::sync::Mutex::new(()),
            clock,
            stats: EngineStats::default(),
            first_ms: std::sync::atomic::AtomicI64::new(i64::MAX),
        }
    }

    pub fn from_config(cfg: &Config, clock: Arc<dyn Clock>) -> Result<Engine, ConfigError> {
        Ok(Engine::new(EngineConfig::from_config(cfg)?, clock))
    }

    /// Swaps in a new configuration; checks in flight finish on the old one.
    pub fn reload(&self, cfg: EngineConfig) {
        // A reload that panicked held nothing worth refusing the next one for.
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.cfg.store(Arc::new(cfg));
        // After the store: a check that reads the new generation loads the
        // new configuration (or a newer one).
        self.gen
            .store(NEXT_GEN.fetch_add(1, Ordering::Relaxed), Ordering::Release);
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
        let mut p = Prepared::default();
        self.prepare_in(call, |_| {}, &mut p)?;
        Ok(p)
    }

    /// [`Engine::prepare`] into the caller's slot `p` (a fresh
    /// `Prepared::default()`, or one concluded before: every field is
    /// rewritten), telling `hint` the call's numbers that key a window (none
    /// for rules that are off) as soon as they are known, so that a store can
    /// start fetching them while the rest of the call is worked out.
    #[inline]
    pub fn prepare_in(
        &self,
        call: &Call,
        mut hint: impl FnMut(&str),
        p: &mut Prepared,
    ) -> Result<(), InputError> {
        if let Err(e) = call.validate() {
            self.stats.bad_input.fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
        // The slot's configuration while the engine's generation has not
        // moved; otherwise the current one (a check racing a reload may use
        // either, as one that started a moment earlier would).
        let gen = self.gen.load(Ordering::Acquire);
        let cfg = match p.cfg.take() {
            Some(c) if p.cfg_gen == gen => c,
            _ => {
                p.cfg_gen = gen;
                self.cfg.load_full()
            }
        };
        let t = call.time_ms.unwrap_or_else(|| self.clock.now_ms());
        let b_key = cfg.plan.key_of(&call.b_number);
        if cfg.rules.keyed_by(CallNumber::B) {
            hint(&b_key);
        }

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
        if cfg.rules.keyed_by(CallNumber::A) {
            hint(&a_key);
        }
        // A home CLI's place in the national plan: Some(None) when it has none.
        let cli_plan = match (&cli, &cfg.nsn) {
            (Ok(n), Some(plan)) if n.starts_with(&cfg.plan.country_code) => {
                Some(plan.number_type(&n.digits().as_bytes()[cfg.plan.country_code.len()..]))
            }
            _ => None,
        };
        // The call's own Call-ID is borrowed; copied only into a window's evidence.
        let generated_call_id: Option<CompactString> = call.call_id.is_empty().then(|| {
            let mut seed = Vec::with_capacity(64);
            seed.extend_from_slice(a_key.as_bytes());
            seed.extend_from_slice(b_key.as_bytes());
            seed.extend_from_slice(&t.to_le_bytes());
            compact_str::format_compact!("gen-{:016x}", stable_hash(&seed))
        });
        let call_id = generated_call_id.as_ref().unwrap_or(&call.call_id);
        let trunk = call.trunk.as_deref().filter(|t| !t.is_empty());
        let source_key: Option<CompactString> = match (trunk, call.source_ip) {
            (Some(t), _) => {
                let mut k = CompactString::with_capacity(6 + t.len());
                k.push_str("trunk:");
                k.push_str(t);
                Some(k)
            }
            (None, Some(ip)) => Some(source_ip_key(ip)),
            (None, None) => None,
        };

        // The verdict is started where it stays until the check returns.
        let verdict = &mut p.verdict;
        verdict.action = Action::Allow;
        verdict.reasons = Reasons::default();
        verdict.alert_id = None;
        verdict.new_alerts.clear();
        verdict.counts = Counts::default();
        verdict.time_ms = t;
        verdict.a_number = a_key.clone();
        verdict.b_number = b_key.clone();
        p.withdrawals.clear();
        let request = &mut p.request;
        request.windows.clear();
        p.ingress_scale = None;
        p.unjudged = None;
        p.early = None;
        p.standing = None;
        p.listed = false;
        request.block_lookup = None;
        request.called = None;
        let lists = &cfg.lists;

        // Deny lists end the check: no window is touched.
        if lists.deny_a.contains(&a_key) || lists.source_denied(call.source_ip, trunk) {
            verdict.reasons.insert(Reason::Denylist);
            request.evidence = Evidence::default();
            p.static_action = Some(Action::Block);
            p.cfg = Some(cfg);
            return Ok(());
        }
        let a_allowed = lists.allow_a.contains(&a_key);
        let b_allowed = lists.allow_b.contains(&b_key);
        let source_allowed = lists.source_allowed(call.source_ip, trunk);
        if a_allowed || b_allowed || source_allowed {
            verdict.reasons.insert(Reason::Allowlist);
        }
        p.listed = a_allowed || b_allowed;

        let facts = Facts {
            call,
            time_ms: t,
            cli: &cli,
            cli_plan,
            nsn: cfg.nsn.as_deref(),
            a_key: &a_key,
            b_key: &b_key,
            call_id,
            trunk,
            source_key: source_key.as_ref(),
            a_allowed,
            b_allowed,
            source_allowed,
            numbering: &cfg.plan,
            b_type: std::cell::OnceCell::new(),
        };
        let mut plan = Plan::new(&mut request.windows, &mut request.called);
        for rule in cfg.rules.iter() {
            rule.plan(&facts, &mut plan);
        }
        verdict.reasons.0 |= plan.reasons.0;
        p.static_action = plan.static_action;
        p.ingress_scale = plan.ingress_scale;
        p.unjudged = plan.unjudged;
        p.early = plan.early;
        p.standing = plan.standing;
        if cfg.auto_block_ms.is_some() && !a_allowed {
            request.block_lookup = Some((a_key.clone(), t));
        }
        // The evidence record goes into windows only: none, none built.
        let evidence = &mut request.evidence;
        evidence.time_ms = t;
        // The Call-ID is copied into the buffer the last call's left (a SIP
        // Call-ID is usually longer than a string kept inline: a clone would
        // allocate on every call and free the last one's).
        evidence.call_id.clear();
        if request.windows.is_empty() {
            evidence.a_number = CompactString::default();
            evidence.b_number = CompactString::default();
            evidence.source = CompactString::default();
        } else {
            evidence.call_id.push_str(call_id);
            evidence.a_number = a_key;
            evidence.b_number = b_key;
            evidence.source = source_key.unwrap_or_default();
        }
        p.cfg = Some(cfg);
        Ok(())
    }

    /// Turns the store's answer (or its failure) into the verdict.
    pub fn conclude(&self, mut p: Prepared, answer: Result<StoreAnswer, StoreError>) -> Verdict {
        match answer {
            Ok(mut ans) => self.conclude_in(&mut p, Ok(Some(&mut ans))),
            Err(e) => self.conclude_in(&mut p, Err(e)),
        }
        p.take_verdict()
    }

    /// [`Engine::conclude`] on a prepared call left where it is: the verdict
    /// is completed in place (read it with [`Prepared::verdict`], take it with
    /// [`Prepared::take_verdict`]); the answer's alerts and evidence are taken
    /// out of `answer`, `Ok(None)` when the call needed no store. Conclude a
    /// prepared call once.
    #[inline]
    pub fn conclude_in(
        &self,
        p: &mut Prepared,
        answer: Result<Option<&mut StoreAnswer>, StoreError>,
    ) {
        let Prepared {
            cfg,
            cfg_gen: _,
            request,
            verdict,
            static_action,
            withdrawals,
            ingress_scale,
            unjudged,
            early,
            standing,
            listed,
        } = p;
        let loaded;
        let cfg: &EngineConfig = match cfg {
            Some(c) => c,
            None => {
                loaded = self.cfg.load_full();
                &loaded
            }
        };
        // A rule of kind that waited for the store: it fires unless the
        // CLI's presence reached its count (a failed store: it fires).
        let spared = match *standing {
            None => None,
            Some(st) => {
                let spared = matches!(&answer, Ok(Some(ans)) if ans
                    .windows
                    .get(st.op as usize)
                    .is_some_and(|o| o.count >= st.at));
                if spared {
                    self.stats.standing_spared.fetch_add(1, Ordering::Relaxed);
                } else {
                    verdict.reasons.insert(st.reason);
                    *static_action = (*static_action).max(Some(st.action));
                }
                Some((st, spared))
            }
        };
        // A call to or from an allow-listed number is never blocked by a
        // rule (a deny-listed one never gets here as listed): a home CLI on a
        // gateway calling a listed hotline is flagged, not blocked.
        let mut action = match *static_action {
            Some(a) if *listed => a.min(Action::Flag),
            Some(a) => a,
            None => Action::Allow,
        };
        self.note_first(verdict.time_ms);
        match answer {
            Err(_) => {
                self.stats.store_errors.fetch_add(1, Ordering::Relaxed);
                verdict.reasons.insert(Reason::StoreUnavailable);
            }
            Ok(None) => {}
            Ok(Some(ans)) => {
                // Per rule that fired: its alert on this call, raised or still active.
                // (rule, alert id, the window that raised it on this call)
                let mut fired: SmallVec<[Fired; 2]> = SmallVec::new();
                // A raised alert held back: withdrawn from the store.
                let mut hold = |i: usize, alert: &AlertState| {
                    if let AlertState::Raised(id) = alert {
                        withdrawals.push(Withdrawal {
                            window: i as u8,
                            id: id.clone(),
                        });
                    }
                };
                // The count over every ingress that precedes a share-gated window's.
                // (rule, count, the threshold it learned: its floor when it learns none)
                let mut all_ingresses: Option<(Reason, Kept, u32)> = None;
                // A window sent under the call's threshold (`early`), when its
                // count is under it: judged first by the number's callers over
                // every ingress. Held (its index, else u8::MAX), or judged as
                // it comes with that count (`over_every`: for its alert).
                let mut over_every: Option<(u8, u32)> = None;
                // The op whose number's spell answered an alert (none: u8::MAX).
                let mut spell_at = u8::MAX;
                let early_held = match *early {
                    // Only a count from the threshold it was sent with up to
                    // the call's (the store answered that threshold).
                    Some((at, threshold))
                        if ans
                            .windows
                            .get(at as usize)
                            .is_some_and(|o| o.count >= o.threshold && o.count < threshold) =>
                    {
                        match judge_early(cfg, request, ans, at as usize, threshold) {
                            Err(()) => at,
                            Ok(n) => {
                                over_every = n.map(|n| (at, n));
                                u8::MAX
                            }
                        }
                    }
                    _ => u8::MAX,
                };
                // The windows judged apart on this call, by index (none: u8::MAX).
                let unjudged_at = unjudged.unwrap_or(u8::MAX);
                let (scale_at, scale_min, scale_strict) =
                    ingress_scale.unwrap_or((u8::MAX, 0, false));
                // Both as slices, taken once: every index below would
                // otherwise ask each `SmallVec` where its items are.
                let outs: &mut [WindowOutcome] = &mut ans.windows;
                let ops: &[WindowOp] = &request.windows;
                // A CLI's presence (standing) is no window to judge, and the
                // window of a rule it spared is not judged either: counts of
                // 0 are under any threshold (the spared one's alert held).
                if let Some((st, spared)) = spared {
                    if let Some(o) = outs.get_mut(st.op as usize) {
                        o.count = 0;
                    }
                    if spared {
                        if let Some(o) = outs.get_mut(st.window as usize) {
                            hold(st.window as usize, &o.alert);
                            o.count = 0;
                        }
                    }
                }
                for i in 0..outs.len().min(ops.len()) {
                    let op = &ops[i];
                    let Some(w) = cfg.rules.window(op.rule) else {
                        continue;
                    };
                    let (count, threshold) = (outs[i].count, outs[i].threshold);
                    if w.min_share_milli.is_some() && rules::is_all_ingresses(&op.key) {
                        all_ingresses = Some((op.rule, Kept::of(&outs[i]), threshold));
                        // Judged by the number's spell: a fresh spell that
                        // reached the rule's count answers its alert (at
                        // most one a call), judged after the loop.
                        if op.spell.is_some() && !matches!(outs[i].alert, AlertState::None) {
                            spell_at = i as u8;
                        }
                        continue;
                    }
                    verdict.counts.set(op.rule, count);
                    if !outs[i].tracked {
                        verdict.reasons.insert(Reason::StoreCapacity);
                    }
                    if count < threshold {
                        continue;
                    }
                    // Counted, not judged on this call; or under the call's
                    // threshold without the number's callers over every
                    // ingress to carry it.
                    if i as u8 == unjudged_at || i as u8 == early_held {
                        hold(i, &outs[i].alert);
                        continue;
                    }
                    // A CLI that may be a landline is judged as a handset only
                    // through an ingress of many subscribers; any CLI only
                    // through an ingress that is not its own.
                    if i as u8 == scale_at {
                        let few = match ingress_clis(outs, ops) {
                            Some(n) => n < scale_min,
                            None => scale_strict,
                        };
                        if few {
                            hold(i, &outs[i].alert);
                            continue;
                        }
                    }
                    // Most of the number's callers must have come this way:
                    // by another rule's windows of the call (`share_from`),
                    // else by this one's and its companion.
                    if let Some(share) = w.min_share_milli {
                        let lent = w.share_from.and_then(|from| share_pair(outs, ops, from));
                        let companion = all_ingresses.take_if(|(rule, ..)| *rule == op.rule);
                        // The number's callers over every ingress, under
                        // their own learned level.
                        if w.companion_learn.is_some()
                            && companion.is_some_and(|(_, all, bar)| all.count < bar)
                        {
                            hold(i, &outs[i].alert);
                            continue;
                        }
                        let own = companion.map(|(_, all, _)| (Kept::of(&outs[i]), all));
                        if let Some((this, all)) = lent.or(own) {
                            if this.under_share(share, all) {
                                hold(i, &outs[i].alert);
                                continue;
                            }
                        }
                    }
                    let out = &mut outs[i];
                    // A busy key's calls cannot be told from an attack's: only
                    // the one raising the alert carries the rule.
                    if w.busy_alert_only
                        && op
                            .learn
                            .is_some_and(|l| l.busy(op.threshold, out.level_m, out.runs))
                        && !matches!(out.alert, AlertState::Raised(_))
                    {
                        continue;
                    }
                    // A learned rule blocks only once its levels had time to form.
                    let rule_action = if w.action == Action::Block
                        && w.learn.is_some()
                        && self.warming(cfg, verdict.time_ms)
                    {
                        verdict.reasons.insert(Reason::LearningWarmup);
                        Action::Flag
                    } else {
                        w.action
                    };
                    // Nor by a window (a listed B-number's own window
                    // counts it, `listed_threshold`, and only flags).
                    let rule_action = if *listed {
                        rule_action.min(Action::Flag)
                    } else {
                        rule_action
                    };
                    action = action.max(rule_action);
                    verdict.reasons.insert(op.rule);
                    match std::mem::take(&mut out.alert) {
                        AlertState::None => {}
                        AlertState::Active(id) => {
                            verdict.alert_id.get_or_insert_with(|| id.clone());
                            fired.push((op.rule, id, None));
                        }
                        AlertState::Raised(id) => {
                            verdict.alert_id.get_or_insert_with(|| id.clone());
                            fired.push((op.rule, id.clone(), Some(i as u8)));
                            verdict.new_alerts.push(Alert {
                                id,
                                rule: op.rule,
                                key: op.key.clone(),
                                action: rule_action,
                                raised_at_ms: verdict.time_ms,
                                window_ms: w.window_ms.min(u32::MAX as i64) as u32,
                                threshold: out.threshold,
                                baseline: (out.level_m > 0).then(|| out.level_m as f64 / 1000.0),
                                count: out.count,
                                evidence: std::mem::take(&mut out.evidence),
                            });
                        }
                    }
                }
                if spell_at != u8::MAX {
                    let a = self.judge_spell(
                        cfg,
                        request,
                        outs,
                        spell_at as usize,
                        *listed,
                        verdict,
                        &mut hold,
                    );
                    action = action.max(a);
                }
                // A window sent under the call's threshold: its new alert
                // shows the call's threshold (the store judged the lower one)
                // and, raised under it through its ingress, the number's
                // count over every ingress.
                if let Some((at, threshold)) = *early {
                    if let Some(a) = fired
                        .iter()
                        .find(|f| f.2 == Some(at))
                        .and_then(|f| verdict.new_alerts.iter_mut().find(|a| a.id == f.1))
                    {
                        a.threshold = threshold;
                        if let Some((_, n)) = over_every.filter(|o| o.0 == at) {
                            a.count = n;
                        }
                    }
                }
                // One attack, one alert: a new alert of a window that folds
                // into a rule which fired on this call with its own alert is
                // dropped in favour of that one (its cooldown still started),
                // and so is a new alert of that rule while an alert as strong
                // of a window folding into it is already running.
                if fired.len() > 1 {
                    fold_alerts(cfg, verdict, &fired);
                    // The alerts it dropped are withdrawn as well.
                    for (_, id, raised) in &fired {
                        if let Some(window) = *raised {
                            if !verdict.new_alerts.iter().any(|a| a.id == *id) {
                                withdrawals.push(Withdrawal {
                                    window,
                                    id: id.clone(),
                                });
                            }
                        }
                    }
                }
                for w in withdrawals.iter() {
                    if let Some(op) = request.windows.get(w.window as usize) {
                        let rule = op.spell.map_or(op.rule, |sp| sp.reason);
                        self.stats.withdrawn[rule.index()].fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Some(b) = ans.blocked.take() {
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
        self.stats.record(verdict);
    }

    /// A spell's alert on the op at `i` (`contract::Spell`, `quiet_fanin`):
    /// published with the rule's action, or held back (withdrawn) for the
    /// rest of the spell. Out of line: a spell answers an alert on few calls.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn judge_spell(
        &self,
        cfg: &EngineConfig,
        request: &StoreRequest,
        outs: &mut [WindowOutcome],
        i: usize,
        listed: bool,
        verdict: &mut Verdict,
        hold: &mut dyn FnMut(usize, &AlertState),
    ) -> Action {
        let ops: &[WindowOp] = &request.windows;
        let (Some(op), Some(out)) = (ops.get(i), outs.get_mut(i)) else {
            return Action::Allow;
        };
        let Some((sp, sw)) = op
            .spell
            .and_then(|sp| Some((sp, cfg.rules.window(sp.reason)?)))
        else {
            return Action::Allow;
        };
        let (count, recent) = (out.count, out.recent);
        let alert = std::mem::take(&mut out.alert);
        // A spell that began before this engine had seen a quiet period's
        // traffic (to the minute the id names): after a cold start every
        // number looks quiet.
        let cold = match &alert {
            AlertState::Raised(id) => alert_raised_ms(id).is_none_or(|start| {
                start.saturating_add(60_000)
                    < self
                        .first_ms
                        .load(Ordering::Relaxed)
                        .saturating_add(sp.quiet_min.get() as i64 * 60_000)
            }),
            _ => false,
        };
        // A call whose own route brought `max_ingress_callers` of the
        // callers (the slow tier's count there): a crowd that route's own
        // tier judges, not a spread.
        let crowd = sw.max_ingress_callers.is_some_and(|most| {
            ops.iter()
                .zip(outs.iter())
                .skip(i + 1)
                .any(|(o, out)| o.rule == op.rule && !o.count_only && out.count >= most)
        });
        let raised = matches!(alert, AlertState::Raised(_));
        let (AlertState::Raised(id) | AlertState::Active(id)) = alert else {
            return Action::Allow;
        };
        if crowd || cold {
            // Withdrawn for the rest of the spell (told already when it
            // flagged earlier calls).
            hold(i, &AlertState::Raised(id));
            return Action::Allow;
        }
        // A burst spread over routes: the number's callers over every route
        // within the burst window (the companion's recent count) reached the
        // count that blocks.
        let spread = sw
            .block_recent_callers
            .is_some_and(|n| op.recent_ms > 0 && u32::from(recent) >= n);
        let rule_action = match (listed, spread) {
            (true, _) => sw.action.min(Action::Flag),
            (false, true) => sw.action.max(Action::Block),
            (false, false) => sw.action,
        };
        verdict.reasons.insert(sw.rule);
        // Never folded: a spell's alert cannot be withdrawn once told.
        verdict.alert_id.get_or_insert_with(|| id.clone());
        if raised {
            verdict.new_alerts.push(Alert {
                id,
                rule: sw.rule,
                key: op.key.clone(),
                action: rule_action,
                raised_at_ms: verdict.time_ms,
                window_ms: sw.window_ms.min(u32::MAX as i64) as u32,
                threshold: sw.threshold,
                baseline: None,
                count,
                // The call that reached the count (the store keeps no
                // evidence for a count over every ingress).
                evidence: vec![request.evidence.clone()],
            });
        }
        rule_action
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

    /// Whether `t` lies in the learning warm-up: within `warmup_ms` of the
    /// first call this engine judged.
    fn warming(&self, cfg: &EngineConfig, t: i64) -> bool {
        t < self
            .first_ms
            .load(Ordering::Relaxed)
            .saturating_add(cfg.warmup_ms)
    }

    /// Counts calls seen elsewhere (a warm-up replay of history) as the start
    /// of this engine's history: the learning warm-up runs from there.
    pub fn note_history(&self, first_ms: i64) {
        self.note_first(first_ms);
    }

    /// Remembers the earliest event time judged (a load on the common path).
    #[inline]
    fn note_first(&self, t: i64) {
        if t < self.first_ms.load(Ordering::Relaxed) {
            self.first_ms.fetch_min(t, Ordering::Relaxed);
        }
    }

    /// Counts a verdict made without the engine's rules (a fail-open answer).
    pub fn record_fail_open(&self, reason: Reason) -> Verdict {
        let v = Verdict::fail_open(reason, self.now_ms());
        self.stats.record(&v);
        v
    }
}

/// A rule that fired on a call: its reason, its alert's id, and the window
/// (index in the request) that raised the alert on this call, if it did.
type Fired = (Reason, CompactString, Option<u8>);

/// Drops the new alerts of windows that fold into a rule that fired on the
/// same call with an alert of its own; and a new alert of such a rule when a
/// window folding into it fired with an alert raised earlier whose action is
/// as strong (the older alert already tells of the attack; an escalation, a
/// flag turning into a block, gets its own alert). The verdict then points at
/// the published alert of the two.
fn fold_alerts(cfg: &EngineConfig, verdict: &mut Verdict, fired: &[Fired]) {
    let window = |r: Reason| cfg.rules.window(r);
    let folds_into = |r: Reason| window(r).and_then(|w| w.folds_into);
    let action = |r: Reason| window(r).map_or(Action::Allow, |w| w.action);
    // An alert of `older` running makes a new one of `newer` (its target) redundant.
    let absorbs = |older: Reason, newer: Reason| {
        folds_into(older) == Some(newer) && action(older) >= action(newer)
    };
    verdict.new_alerts.retain(|alert| {
        let rule = alert.rule;
        let into_target = folds_into(rule).is_some_and(|t| fired.iter().any(|(r, _, _)| *r == t));
        let older_source = fired
            .iter()
            .any(|(r, _, raised)| raised.is_none() && absorbs(*r, rule));
        !(into_target || older_source)
    });
    // The lead alert: the first fired, unless a related one was published instead.
    let Some(mut lead) = fired.first() else {
        return;
    };
    for e in &fired[1..] {
        // Only related alerts are compared, and only they need their times.
        let first = |a: &CompactString, b: &CompactString| alert_raised_ms(a) < alert_raised_ms(b);
        let e_published = if folds_into(lead.0) == Some(e.0) {
            // lead folds into e: e's alert stands unless lead's came first and absorbs it
            !(absorbs(lead.0, e.0) && first(&lead.1, &e.1))
        } else if folds_into(e.0) == Some(lead.0) {
            absorbs(e.0, lead.0) && first(&e.1, &lead.1)
        } else {
            false
        };
        if e_published {
            lead = e;
        }
    }
    if verdict.alert_id.as_ref() == Some(&fired[0].1) {
        verdict.alert_id = Some(lead.1.clone());
    }
}

#[cfg(test)]
mod tests;
