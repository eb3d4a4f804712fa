// SPDX-License-Identifier: MIT OR Apache-2.0
//! Test harness: real servers as plain child processes on free loopback ports.
//!
//! Include from an integration test with `mod support;`. Dependencies: std and `libc`
//! (signals) only, so it cannot conflict with the main crate's dependency graph.
//!
//! * [`RedisServer`] — one `redis-server` (the stand-in for DragonflyDB); can be paused
//!   (SIGSTOP, a hung store), killed, and restarted on the same port.
//! * [`RedisCluster`] — an n-node Redis Cluster (`redis-cli --cluster create`).
//! * [`ClickHouseServer`] — a ClickHouse server with a generated config; `query()` over HTTP;
//!   `stop()` / `start_again()` on the same ports and data for outage tests.
//! * [`ChdbServer`] — a current ClickHouse engine (chdb, PyPI) behind the HTTP interface
//!   (`chdb_http.py`); [`TestClickHouse`] is what the tests use of either.
//! * [`ClickHouseCluster`] — two (or more) ClickHouse servers as shards of one cluster with
//!   replicated tables, coordinated by a [`ZooKeeperServer`] (Debian's zookeeper).
//! * [`free_port`], [`wait_until`], [`TempDir`], [`acm_bin`], a tiny RESP client
//!   ([`redis_command`]) and a tiny HTTP client ([`http_request`]).
//!
//! The servers must be installed (`scripts/setup-test-env.sh`). When a binary is missing
//! the harness PANICS with that hint: tests never skip silently.
//!
//! Every server is killed (SIGKILL: instant) and its directory removed when its handle is
//! dropped, also when a test panics; `stop()` is the graceful SIGTERM variant. A test process killed with SIGKILL leaves its servers running; they live in
//! `$TMPDIR/acm-test-*` directories and can be found by that name.
#![allow(dead_code)]

pub mod receiver;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SETUP_HINT: &str = "run `sudo scripts/setup-test-env.sh` to install the test servers";

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// Polls `cond` (first at once, then every 2..50 ms, backing off) until it returns true or
/// `timeout` has passed. Returns whether the condition was met.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A unique directory under `std::env::temp_dir()`, removed (recursively) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/acm-test-<prefix>-<pid>-<counter>-<nanos>`.
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "acm-test-{prefix}-{}-{n}-{nanos}",
                std::process::id()
            ));
            match fs::create_dir(&path) {
                Ok(()) => return TempDir { path },
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create temp dir {}: {e}", path.display()),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `self.path().join(rel)`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Ports handed out by this process (bus ports included): never hand out the same port twice,
/// so tests running in parallel threads cannot race each other for a port.
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Whether `127.0.0.1:port` can be bound right now.
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// A TCP port on 127.0.0.1 that is free now and was never handed out before in this process.
///
/// Ports are drawn at random from *below* the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`, normally 32768-60999), from 10000 up, and
/// checked by binding them. Why not simply bind port 0: that returns an ephemeral port, and
/// every outgoing connection (the tests' own PINGs, HTTP requests, TIME_WAIT leftovers) also
/// takes its local port from that range, so a server being (re)started on such a port —
/// notably `restart()` on the same port, or a cluster bus port — could find it taken.
/// Binding port 0 remains the fallback if no such port is found.
pub fn free_port() -> u16 {
    free_port_inner(false)
}

/// A free port `p` such that `p + 10000` (the Redis Cluster bus port) is free too; both are
/// reserved (never returned again by [`free_port`]).
pub fn free_port_with_bus() -> u16 {
    free_port_inner(true)
}

fn ephemeral_low() -> u16 {
    fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per instance: good enough for picking ports.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

fn free_port_inner(with_bus: bool) -> u16 {
    const LOW: u16 = 10000;
    const BUS: u16 = 10000;
    let high = ephemeral_low().saturating_sub(if with_bus { BUS } else { 0 }); // exclusive
    let reserve = |p: u16| -> bool {
        let mut used = handed_out().lock().unwrap_or_else(|e| e.into_inner());
        let bus_ok = !with_bus || (!used.contains(&(p + BUS)) && port_is_free(p + BUS));
        if used.contains(&p) || !bus_ok || !port_is_free(p) {
            return false;
        }
        used.insert(p);
        if with_bus {
            used.insert(p + BUS);
        }
        true
    };
    if high > LOW + 100 {
        for _ in 0..500 {
            let p = LOW + (random_u64() % u64::from(high - LOW)) as u16;
            if reserve(p) {
                return p;
            }
        }
    }
    // Fallback: ask the kernel (ephemeral range).
    for _ in 0..1000 {
        let p = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("cannot bind 127.0.0.1:0")
            .port();
        if (!with_bus || p <= u16::MAX - BUS) && reserve(p) {
            return p;
        }
    }
    panic!("no free port found on 127.0.0.1");
}

/// Finds an executable by name on `PATH`, then in /usr/sbin, /usr/bin, /sbin (Debian puts
/// `clickhouse-server` in /usr/sbin, which is not on a normal user's PATH).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Like [`find_program`] but panics with the setup hint when it is missing.
pub fn require_program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("`{name}` is not installed: {SETUP_HINT}"))
}

/// The last `lines` lines of a file (for error messages), or a note that it is unreadable.
pub fn tail_of(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}

/// Path of the `acm` binary for integration tests, in this order:
///
/// 1. `$ACM_BIN` at run time, if set (explicit override, e.g. a release build);
/// 2. `CARGO_BIN_EXE_acm`, which Cargo sets at *compile* time for every integration test
///    of a package that has a binary target named `acm` (and builds that binary first). It is
///    read with `option_env!`, which works in this shared module too: each test crate that
///    includes `mod support;` compiles it with its own environment;
/// 3. the directory above the running test executable (`<target>/<profile>/deps/..`), which
///    follows `CARGO_TARGET_DIR` and the profile automatically.
///
/// Panics if none of them exists; [`try_acm_bin`] returns the reason instead.
pub fn acm_bin() -> PathBuf {
    try_acm_bin().unwrap_or_else(|e| panic!("{e}"))
}

/// In an `acm quality --json` report, the legitimate class `name`. Panics if there is none.
pub fn legit_class<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["legit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no legitimate class {name}"))
}

/// A legitimate class of an `acm quality --json` report: its calls, and how many of them
/// were flagged or blocked.
pub fn calls_and_hit(class: &serde_json::Value) -> (u64, u64) {
    let n = |k: &str| {
        class[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in {class}"))
    };
    (n("calls"), n("flagged") + n("blocked"))
}

/// Traffic from a generator script (`scripts/<script>`, written without reading acm: see
/// docs/QUALITY.md) for `seed`, replayed from a cold start with the deployment file the script
/// writes, second hour scored: `acm quality --json`'s report. Needs `python3`; panics
/// without it or when either step fails.
pub fn generated_traffic_quality(script: &str, seed: u32) -> serde_json::Value {
    generated_traffic_quality_with(script, seed, "")
}

/// [`generated_traffic_quality`] with `extra` appended to the generator's deployment file
/// (what the operator knows beyond it, e.g. its own number ranges).
pub fn generated_traffic_quality_with(script: &str, seed: u32, extra: &str) -> serde_json::Value {
    let dir = TempDir::new("acm-generated");
    let root = env!("CARGO_MANIFEST_DIR");
    let gen = Command::new("python3")
        .arg(format!("{root}/scripts/{script}"))
        .args(["--seed", &seed.to_string(), "--quiet"])
        .arg("--out")
        .arg(dir.join("cdrs.csv"))
        .arg("--labels")
        .arg(dir.join("labels.csv"))
        .arg("--config")
        .arg(dir.join("deploy.toml"))
        .output()
        .unwrap_or_else(|e| panic!("python3 runs scripts/{script}: {e}"));
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    if !extra.is_empty() {
        let deploy = dir.join("deploy.toml");
        let mut text = std::fs::read_to_string(&deploy).unwrap();
        text.push('\n');
        text.push_str(extra);
        std::fs::write(&deploy, text).unwrap();
    }
    let out = Command::new(acm_bin())
        .arg("-c")
        .arg(dir.join("deploy.toml"))
        .arg("quality")
        .arg("--cdrs")
        .arg(dir.join("cdrs.csv"))
        .arg("--labels")
        .arg(dir.join("labels.csv"))
        .args(["--no-progress", "--score-from", "+1h", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// In an `acm quality --json` report, the instances of `family` whose intensity lies in
/// `lo..=hi`.
pub fn in_range<'a>(
    report: &'a serde_json::Value,
    family: &'a str,
    lo: f64,
    hi: f64,
) -> impl Iterator<Item = &'a serde_json::Value> {
    report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(move |i| i["family"] == family)
        .filter(move |i| (lo..=hi).contains(&i["intensity"].as_f64().unwrap()))
}

/// In an `acm quality --json` report, the legitimate classes other than `blocked_by_kind`
/// (each of those only blocked, never flagged): more than 30,000 calls scored, none
/// blocked, under 0.1% flagged.
pub fn assert_legit_under_a_thousandth(report: &serde_json::Value, blocked_by_kind: &[&str]) {
    assert_legit_under_a_thousandth_apart_from(report, blocked_by_kind, &[]);
}

/// [`assert_legit_under_a_thousandth`] over every class but `blocked_by_kind` and `apart`
/// (classes a test bounds on its own).
pub fn assert_legit_under_a_thousandth_apart_from(
    report: &serde_json::Value,
    blocked_by_kind: &[&str],
    apart: &[&str],
) {
    let (mut calls, mut wrong) = (0, 0);
    for c in report["legit"].as_array().unwrap() {
        if blocked_by_kind.contains(&c["name"].as_str().unwrap()) {
            assert_eq!(c["flagged"], 0, "{c}");
            continue;
        }
        if apart.contains(&c["name"].as_str().unwrap()) {
            continue;
        }
        calls += c["calls"].as_u64().unwrap();
        wrong += c["flagged"].as_u64().unwrap() + c["blocked"].as_u64().unwrap();
        assert_eq!(c["blocked"], 0, "{c}");
    }
    assert!(calls > 30_000, "{calls} legitimate calls scored");
    assert!(
        wrong * 1000 < calls,
        "{wrong} of {calls} legitimate calls flagged or blocked"
    );
}

/// In an `acm quality --json` report, at least `least` instances of `family` with an
/// intensity in `lo..=hi`, every one of them detected.
pub fn assert_caught_in_range(
    report: &serde_json::Value,
    family: &str,
    lo: f64,
    hi: f64,
    least: usize,
) {
    let all: Vec<_> = in_range(report, family, lo, hi).collect();
    assert!(all.len() >= least, "{family}: {all:?}");
    for i in &all {
        assert_eq!(i["detected"], true, "{i}");
    }
}

/// Refiled masking in the issue's shape (three fresh CLIs or more, 1.3-20 a minute): at
/// least `least` instances, every one detected. (One retry with a fresh CLI is a person
/// calling back from another phone.)
pub fn assert_refiles_of_three_caught(report: &serde_json::Value, least: usize) {
    let refiled: Vec<_> = in_range(report, "refiled_masking", 1.3, 20.0)
        .filter(|i| i["clis"].as_u64().unwrap() >= 3)
        .collect();
    assert!(refiled.len() >= least, "{refiled:?}");
    for i in &refiled {
        assert_eq!(i["detected"], true, "{i}");
    }
}

/// Bursts of 1-10 calls a second whose 5th distinct caller falls in the scored span: at
/// least `least`, each blocked by its 5th caller. Answers them.
pub fn assert_bursts_blocked_by_their_fifth_caller(
    report: &serde_json::Value,
    least: usize,
) -> Vec<&serde_json::Value> {
    let bursts: Vec<_> = in_range(report, "masking_burst", 1.0, 10.0)
        .filter(|i| !i["fifth_caller_blocked"].is_null())
        .collect();
    assert!(bursts.len() >= least, "{bursts:?}");
    for i in &bursts {
        assert_eq!(i["fifth_caller_blocked"], true, "{i}");
    }
    bursts
}

/// In an `acm quality --json` report, each of `families` has at least 10 instances and
/// every one of them detected.
pub fn assert_caught_whole(report: &serde_json::Value, families: &[&str]) {
    for name in families {
        let f = report["families"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == *name)
            .unwrap_or_else(|| panic!("no family {name}"));
        assert!(f["instances"].as_u64().unwrap() >= 10, "{f}");
        assert_eq!(f["detected"], f["instances"], "{name}");
    }
}

/// [`acm_bin`] without the panic.
pub fn try_acm_bin() -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    if let Some(p) = std::env::var_os("ACM_BIN") {
        let p = PathBuf::from(p);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(format!("ACM_BIN={} is not an executable", p.display()))
        };
    }
    if let Some(p) = option_env!("CARGO_BIN_EXE_acm") {
        let p = PathBuf::from(p);
        if is_executable(&p) {
            return Ok(p);
        }
        tried.push(p);
    }
    if let Ok(exe) = std::env::current_exe() {
        // <target>/<profile>/deps/<test-binary>
        if let Some(profile_dir) = exe.parent().and_then(Path::parent) {
            let p = profile_dir.join("acm");
            if is_executable(&p) {
                return Ok(p);
            }
            tried.push(p);
        }
    }
    Err(format!(
        "acm binary not found (tried {tried:?}); build it with `cargo build --bin acm` or set ACM_BIN"
    ))
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child we have not reaped yet (so it cannot be reused).
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

/// Waits up to `timeout` for `child` to exit; true if it did (and was reaped).
fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    wait_until(timeout, || matches!(child.try_wait(), Ok(Some(_)) | Err(_)))
}

/// SIGTERM (plus SIGCONT, in case it is stopped), then SIGKILL after `grace`.
fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    signal(child, libc::SIGTERM);
    signal(child, libc::SIGCONT);
    if !wait_exit(child, grace) {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn kill_now(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------------
// RESP (Redis protocol) client, just enough for tests
// ---------------------------------------------------------------------------------------------

/// A decoded RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

impl Resp {
    /// Simple/bulk string or integer as text; errors and arrays as their Debug form.
    pub fn text(&self) -> String {
        match self {
            Resp::Simple(s) => s.clone(),
            Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Resp::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_))
    }
}

fn bad_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads one RESP2 value.
pub fn read_resp(r: &mut impl BufRead) -> io::Result<Resp> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad_data(format!("bad RESP line {line:?}")));
    }
    let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    let int = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| bad_data(format!("bad RESP integer {s:?}")))
    };
    Ok(match line[0] {
        b'+' => Resp::Simple(body),
        b'-' => Resp::Error(body),
        b':' => Resp::Int(int(&body)?),
        b'$' => {
            let n = int(&body)?;
            if n < 0 {
                Resp::Bulk(None)
            } else {
                let mut buf = vec![0; n as usize + 2];
                r.read_exact(&mut buf)?;
                buf.truncate(n as usize);
                Resp::Bulk(Some(buf))
            }
        }
        b'*' => {
            let n = int(&body)?;
            if n < 0 {
                Resp::Array(None)
            } else {
                let items = (0..n)
                    .map(|_| read_resp(r))
                    .collect::<io::Result<Vec<_>>>()?;
                Resp::Array(Some(items))
            }
        }
        other => return Err(bad_data(format!("bad RESP type byte {other:?}"))),
    })
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode_command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends one command on a new connection to 127.0.0.1:`port` and reads the reply.
/// `timeout` bounds the connect, the write and the read separately. A Redis error reply is
/// `Ok(Resp::Error(..))`; `Err` means a network/protocol failure (e.g. a timeout).
pub fn redis_command(port: u16, args: &[&str], timeout: Duration) -> io::Result<Resp> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(&encode_command(args))?;
    read_resp(&mut BufReader::new(stream))
}

/// True if 127.0.0.1:`port` answers PING with PONG within `timeout`.
pub fn redis_ping(port: u16, timeout: Duration) -> bool {
    matches!(redis_command(port, &["PING"], timeout), Ok(Resp::Simple(s)) if s == "PONG")
}

// ---------------------------------------------------------------------------------------------
// redis-server
// ---------------------------------------------------------------------------------------------

const REDIS_START_TIMEOUT: Duration = Duration::from_secs(5);

/// One `redis-server` process on 127.0.0.1, no persistence, data dir in a [`TempDir`].
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    extra_args: Vec<String>,
    child: Option<Child>,
    // Declared last: dropped after the process has been stopped in `Drop`.
    dir: TempDir,
}

impl RedisServer {
    /// Starts a standalone server on a free port and waits until it answers PING.
    pub fn start() -> RedisServer {
        Self::start_with_args(&[])
    }

    /// Same, with extra `redis-server` arguments (e.g. `&["--maxmemory", "10mb"]`).
    pub fn start_with_args(extra: &[&str]) -> RedisServer {
        Self::start_inner(extra, false)
    }

    fn start_inner(extra: &[&str], with_bus: bool) -> RedisServer {
        require_program("redis-server");
        let mut last_err = String::new();
        // A port found free can be grabbed by someone else before redis binds it: retry.
        for _ in 0..3 {
            let port = if with_bus {
                free_port_with_bus()
            } else {
                free_port()
            };
            let mut server = RedisServer {
                port,
                extra_args: extra.iter().map(|s| s.to_string()).collect(),
                child: None,
                dir: TempDir::new("redis"),
            };
            match server.launch() {
                Ok(()) => return server,
                Err(e) => last_err = e,
            }
        }
        panic!("redis-server did not start: {last_err}");
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("redis.log")
    }

    fn launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "redis-server already running");
        let bin = require_program("redis-server");
        let port = self.port.to_string();
        let log = self.log_path();
        let mut cmd = Command::new(bin);
        cmd.args(["--port", &port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(&self.extra_args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot spawn redis-server: {e}"))?;
        let mut exited = None;
        let up = wait_until(REDIS_START_TIMEOUT, || {
            if let Ok(Some(status)) = child.try_wait() {
                exited = Some(status);
                return true;
            }
            redis_ping(self.port, Duration::from_millis(500))
        });
        if up && exited.is_none() {
            self.child = Some(child);
            return Ok(());
        }
        kill_now(&mut child);
        let why = match exited {
            Some(status) => format!("exited with {status}"),
            None => format!("no PONG within {REDIS_START_TIMEOUT:?}"),
        };
        Err(format!(
            "redis-server on port {} {why}; log {}:\n{}",
            self.port,
            log.display(),
            tail_of(&log, 20)
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's working directory (holds `redis.log`, and `nodes.conf` in cluster mode).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// PID of the running process, if any.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Runs one command on a fresh connection (1 s timeout); panics on network errors.
    pub fn cmd(&self, args: &[&str]) -> Resp {
        redis_command(self.port, args, Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("redis {args:?} on port {}: {e}", self.port))
    }

    pub fn ping(&self, timeout: Duration) -> bool {
        redis_ping(self.port, timeout)
    }

    /// Graceful stop: SIGTERM and wait (SIGKILL after 5 s). No-op when not running.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(5));
        }
    }

    /// Crash: SIGKILL and reap. No-op when not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_now(&mut child);
        }
    }

    /// SIGSTOP: the process keeps its sockets (connects still succeed, the kernel queues
    /// requests) but answers nothing — a hung store.
    pub fn pause(&self) {
        signal(
            self.child.as_ref().expect("redis-server not running"),
            libc::SIGSTOP,
        );
    }

    /// SIGCONT after [`pause`](Self::pause).
    pub fn resume(&self) {
        signal(
            self.child.as_ref().expect("redis-server not running"),
            libc::SIGCONT,
        );
    }

    /// Starts the server again on the same port and directory (stopping it first if it is
    /// still running) and waits for PING. Panics if the port was taken in the meantime.
    pub fn restart(&mut self) {
        self.stop();
        // The old listener is gone once the process is reaped; redis sets SO_REUSEADDR.
        if let Err(e) = self.launch() {
            panic!("redis-server restart failed: {e}");
        }
    }
}

impl Drop for RedisServer {
    /// SIGKILL (nothing to preserve: the directory is removed next), so teardown is instant.
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster
// ---------------------------------------------------------------------------------------------

const CLUSTER_READY_TIMEOUT: Duration = Duration::from_secs(20);

/// `n` masters, no replicas, all slots assigned, `cluster_state:ok` on every node.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start(n: usize) -> RedisCluster {
        assert!(
            n >= 3,
            "redis-cli --cluster create needs at least 3 masters"
        );
        let cli = require_program("redis-cli");
        let nodes: Vec<RedisServer> = (0..n)
            .map(|_| {
                RedisServer::start_inner(
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "5000",
                    ],
                    true,
                )
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port()))
            .collect();
        let out = Command::new(cli)
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("cannot run redis-cli");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = RedisCluster { nodes };
        let known = format!("cluster_known_nodes:{n}");
        let ready = wait_until(CLUSTER_READY_TIMEOUT, || {
            cluster.nodes.iter().all(|s| {
                match redis_command(s.port(), &["CLUSTER", "INFO"], Duration::from_secs(1)) {
                    Ok(r) => {
                        let info = r.text();
                        info.contains("cluster_state:ok") && info.contains(&known)
                    }
                    Err(_) => false,
                }
            })
        });
        if !ready {
            let states: Vec<String> = cluster
                .nodes
                .iter()
                .map(|s| {
                    let info =
                        redis_command(s.port(), &["CLUSTER", "INFO"], Duration::from_secs(1))
                            .map(|r| r.text())
                            .unwrap_or_else(|e| e.to_string());
                    format!(
                        "{}: {}",
                        s.port(),
                        info.lines().take(6).collect::<Vec<_>>().join(" ")
                    )
                })
                .collect();
            panic!(
                "redis cluster not ok within {CLUSTER_READY_TIMEOUT:?}:\n{}",
                states.join("\n")
            );
        }
        cluster
    }

    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisServer::port).collect()
    }

    /// `redis://127.0.0.1:P/` of every node, e.g. for a cluster client's seed list.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Individual nodes, e.g. to pause or kill one of them.
    pub fn nodes_mut(&mut self) -> &mut [RedisServer] {
        &mut self.nodes
    }
}

// Dropping `nodes` stops every server (RedisServer::drop).

// ---------------------------------------------------------------------------------------------
// HTTP client, just enough for ClickHouse
// ---------------------------------------------------------------------------------------------

/// A response from [`http_request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port` with `Connection: close`; handles
/// `Content-Length`, chunked and read-to-EOF bodies. `timeout` bounds connect and each
/// read/write.
pub fn http_request(
    port: u16,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timeout: Duration,
) -> io::Result<HttpResponse> {
    http_request_with(port, method, path_and_query, &[], body, timeout)
}

/// [`http_request`] with extra request headers (name, value).
pub fn http_request_with(
    port: u16,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> io::Result<HttpResponse> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = String::new();
    let _ = write!(
        head,
        "{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;

    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad_data(format!("bad HTTP status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "EOF in HTTP headers",
            ));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut resp = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size_str = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_str, 16)
                .map_err(|_| bad_data(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                break; // trailers, if any, are ignored (the connection closes)
            }
            let start = resp.body.len();
            resp.body.resize(start + size, 0);
            r.read_exact(&mut resp.body[start..])?;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| bad_data(format!("bad Content-Length {len:?}")))?;
        resp.body.resize(len, 0);
        r.read_exact(&mut resp.body)?;
    } else {
        r.read_to_end(&mut resp.body)?;
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// ClickHouse
// ---------------------------------------------------------------------------------------------

const CLICKHOUSE_START_TIMEOUT: Duration = Duration::from_secs(20);
const CLICKHOUSE_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// A ClickHouse server (Debian's 18.16 here) with its own config, ports and data directory.
#[derive(Debug)]
pub struct ClickHouseServer {
    http_port: u16,
    tcp_port: u16,
    child: Option<Child>,
    // Declared last: dropped after the process has been stopped in `Drop`.
    dir: TempDir,
}

/// How to run the server: `clickhouse-server ...` or `clickhouse server ...`.
fn clickhouse_command() -> Command {
    if let Some(p) = find_program("clickhouse-server") {
        return Command::new(p);
    }
    if let Some(p) = find_program("clickhouse") {
        let mut c = Command::new(p);
        c.arg("server");
        return c;
    }
    panic!("neither `clickhouse-server` nor `clickhouse` is installed: {SETUP_HINT}");
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl ClickHouseServer {
    /// Writes config.xml/users.xml into a new temp dir, starts the server on free ports and
    /// waits (up to 20 s) for `GET /ping` to answer `Ok.`. Panics with the error log's tail
    /// if it does not come up.
    pub fn start() -> ClickHouseServer {
        clickhouse_command(); // panics early with the setup hint when not installed
        let mut last_err = String::new();
        for _ in 0..3 {
            let mut server = ClickHouseServer {
                http_port: free_port(),
                tcp_port: free_port(),
                child: None,
                dir: TempDir::new("clickhouse"),
            };
            server.write_config("");
            match server.launch() {
                Ok(()) => return server,
                Err(e) => last_err = e,
            }
        }
        panic!("clickhouse-server did not start: {last_err}");
    }

    /// A server on the given ports with `extra` XML in its config (cluster members).
    pub fn start_with(http_port: u16, tcp_port: u16, extra: &str) -> ClickHouseServer {
        clickhouse_command();
        let mut server = ClickHouseServer {
            http_port,
            tcp_port,
            child: None,
            dir: TempDir::new("clickhouse"),
        };
        server.write_config(extra);
        if let Err(e) = server.launch() {
            panic!("clickhouse-server did not start: {e}");
        }
        server
    }

    fn write_config(&self, extra: &str) {
        let d = |rel: &str| xml_escape(&self.dir.join(rel).to_string_lossy());
        for sub in ["data", "tmp", "user_files", "format_schemas", "log"] {
            fs::create_dir_all(self.dir.join(sub)).expect("create clickhouse dirs");
        }
        // Root element <yandex>: 18.16 predates <clickhouse>. No interserver_http_port: the
        // server only opens it when configured (no replication in tests).
        let config = format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>{log}</log>
        <errorlog>{errlog}</errorlog>
        <size>10M</size>
        <count>1</count>
        <console>0</console>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>{data}/</path>
    <tmp_path>{tmp}/</tmp_path>
    <user_files_path>{user_files}/</user_files_path>
    <format_schema_path>{format_schemas}/</format_schema_path>
    <users_config>{users}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
{extra}
</yandex>
"#,
            log = d("log/clickhouse-server.log"),
            errlog = d("log/clickhouse-server.err.log"),
            http = self.http_port,
            tcp = self.tcp_port,
            data = d("data"),
            tmp = d("tmp"),
            user_files = d("user_files"),
            format_schemas = d("format_schemas"),
            users = d("users.xml"),
            extra = extra,
        );
        let users = r#"<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>::/0</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
"#;
        fs::write(self.dir.join("config.xml"), config).expect("write config.xml");
        fs::write(self.dir.join("users.xml"), users).expect("write users.xml");
    }

    fn err_log(&self) -> PathBuf {
        self.dir.join("log/clickhouse-server.err.log")
    }

    fn launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "clickhouse-server already running");
        let stderr_path = self.dir.join("log/stderr.log");
        let stderr = fs::File::create(&stderr_path).expect("create clickhouse stderr log");
        let mut cmd = clickhouse_command();
        cmd.arg(format!(
            "--config-file={}",
            self.dir.join("config.xml").display()
        ))
        .current_dir(self.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot spawn clickhouse-server: {e}"))?;
        let mut exited = None;
        let up = wait_until(CLICKHOUSE_START_TIMEOUT, || {
            if let Ok(Some(status)) = child.try_wait() {
                exited = Some(status);
                return true;
            }
            self.ping()
        });
        if up && exited.is_none() {
            self.child = Some(child);
            return Ok(());
        }
        kill_now(&mut child);
        let why = match exited {
            Some(status) => format!("exited with {status}"),
            None => format!("no `Ok.` from /ping within {CLICKHOUSE_START_TIMEOUT:?}"),
        };
        Err(format!(
            "clickhouse-server (http {}, tcp {}) {why}\n--- {}:\n{}\n--- stderr:\n{}",
            self.http_port,
            self.tcp_port,
            self.err_log().display(),
            tail_of(&self.err_log(), 30),
            tail_of(&stderr_path, 10)
        ))
    }

    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// Native protocol port (clickhouse-client).
    pub fn tcp_port(&self) -> u16 {
        self.tcp_port
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Holds config.xml, users.xml, data/, log/.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True if `GET /ping` answers `Ok.` within a second.
    pub fn ping(&self) -> bool {
        matches!(
            http_request(self.http_port, "GET", "/ping", b"", Duration::from_secs(1)),
            Ok(r) if r.status == 200 && r.body == b"Ok.\n"
        )
    }

    /// Runs `sql` (POST body) and returns the response body, or `Err` with the HTTP status and
    /// ClickHouse's exception text / the network error.
    pub fn try_query(&self, sql: &str) -> Result<String, String> {
        match http_request(
            self.http_port,
            "POST",
            "/",
            sql.as_bytes(),
            CLICKHOUSE_QUERY_TIMEOUT,
        ) {
            Ok(r) if r.status == 200 => Ok(r.text()),
            Ok(r) => Err(format!("HTTP {}: {}", r.status, r.text().trim_end())),
            Err(e) => Err(format!("request failed: {e}")),
        }
    }

    /// Like [`try_query`](Self::try_query) but panics on error.
    /// (18.16 answers every query with `Transfer-Encoding: chunked`, and errors with 404/500
    /// plus `Code: N, e.displayText() = ...` in the body.) Output is ClickHouse's default
    /// TabSeparated unless the SQL says `FORMAT ...`.
    pub fn query(&self, sql: &str) -> String {
        self.try_query(sql)
            .unwrap_or_else(|e| panic!("ClickHouse query failed: {e}\nSQL: {sql}"))
    }

    /// Graceful stop (SIGTERM, SIGKILL after 15 s; 18.16 takes ~1 s). No-op when not running.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(15));
        }
    }

    /// Crash: SIGKILL. No-op when not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_now(&mut child);
        }
    }

    /// Starts the server again with the same ports, config and data (after `stop`/`kill`).
    pub fn start_again(&mut self) {
        self.stop();
        if let Err(e) = self.launch() {
            panic!("clickhouse-server start_again failed: {e}");
        }
    }
}

impl Drop for ClickHouseServer {
    /// SIGKILL: a graceful 18.16 shutdown takes ~1 s and the data is deleted next anyway.
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// A current ClickHouse engine (chdb) behind the HTTP interface
// ---------------------------------------------------------------------------------------------

/// The Python with `chdb` installed: `$ACM_CHDB_PYTHON`, else the venv that
/// `scripts/setup-test-env.sh` creates.
pub fn chdb_python() -> PathBuf {
    let p = std::env::var_os("ACM_CHDB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/acm-test/venv/bin/python3"));
    if !is_executable(&p) {
        panic!(
            "{} is missing (the Python with chdb, a current ClickHouse engine): {SETUP_HINT}",
            p.display()
        );
    }
    p
}

/// A current ClickHouse engine: `chdb` (ClickHouse 25.x/26.x in-process, from PyPI) behind
/// the part of ClickHouse's HTTP interface acm uses (`tests/support/chdb_http.py`). acm's own
/// code (schema apply, RowBinary INSERTs, LZ4 bodies, reports) runs against it unchanged.
/// The data directory survives `stop()`/`start_again()`, so outage tests run on it too.
#[derive(Debug)]
pub struct ChdbServer {
    http_port: u16,
    child: Option<Child>,
    capture: bool,
    dir: TempDir,
}

impl ChdbServer {
    pub fn start() -> ChdbServer {
        Self::start_inner(false)
    }

    /// Also keeps every INSERT's SQL and decompressed body (see [`captured_inserts`]).
    ///
    /// [`captured_inserts`]: ChdbServer::captured_inserts
    pub fn start_capturing() -> ChdbServer {
        Self::start_inner(true)
    }

    fn start_inner(capture: bool) -> ChdbServer {
        let mut server = ChdbServer {
            http_port: free_port(),
            child: None,
            capture,
            dir: TempDir::new("chdb"),
        };
        fs::create_dir_all(server.dir.join("capture")).unwrap();
        if let Err(e) = server.launch() {
            panic!("{e}");
        }
        server
    }

    fn launch(&mut self) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/chdb_http.py");
        let stderr_path = self.dir.join("stderr.log");
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .expect("chdb stderr log");
        let mut cmd = Command::new(chdb_python());
        // The 18.16 servers of the tests run in UTC; so does this engine.
        cmd.env("TZ", "UTC")
            .arg(&script)
            .arg("--port")
            .arg(self.http_port.to_string())
            .arg("--path")
            .arg(self.dir.join("data"));
        if self.capture {
            cmd.arg("--capture").arg(self.dir.join("capture"));
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", script.display()))?;
        let mut exited = None;
        let up = wait_until(Duration::from_secs(60), || {
            if let Ok(Some(status)) = child.try_wait() {
                exited = Some(status);
                return true;
            }
            self.ping()
        });
        if up && exited.is_none() {
            self.child = Some(child);
            return Ok(());
        }
        kill_now(&mut child);
        Err(format!(
            "chdb_http.py (port {}) did not start ({exited:?}); {SETUP_HINT}\n--- stderr:\n{}",
            self.http_port,
            tail_of(&stderr_path, 20)
        ))
    }

    /// The engine's stderr (errors it answered with).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// (SQL, body) of every INSERT so far, in order (only with [`start_capturing`]).
    ///
    /// [`start_capturing`]: ChdbServer::start_capturing
    pub fn captured_inserts(&self) -> Vec<(String, Vec<u8>)> {
        let mut stems: Vec<PathBuf> = fs::read_dir(self.dir.join("capture"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        stems.sort();
        stems
            .iter()
            .map(|p| {
                (
                    fs::read_to_string(p).unwrap(),
                    fs::read(p.with_extension("bin")).unwrap(),
                )
            })
            .collect()
    }
}

/// What the ClickHouse tests need of a server, whichever engine it is.
pub trait TestClickHouse {
    /// "18.16" or "current (chdb)", for messages.
    fn engine(&self) -> &'static str;
    fn http_port(&self) -> u16;
    fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port())
    }
    fn ping(&self) -> bool {
        matches!(
            http_request(self.http_port(), "GET", "/ping", b"", Duration::from_secs(1)),
            Ok(r) if r.status == 200 && r.body == b"Ok.\n"
        )
    }
    /// Runs `sql` (POST body); Err with the HTTP status and ClickHouse's exception text.
    fn try_query(&self, sql: &str) -> Result<String, String> {
        match http_request(
            self.http_port(),
            "POST",
            "/",
            sql.as_bytes(),
            CLICKHOUSE_QUERY_TIMEOUT,
        ) {
            Ok(r) if r.status == 200 => Ok(r.text()),
            Ok(r) => Err(format!("HTTP {}: {}", r.status, r.text().trim_end())),
            Err(e) => Err(format!("request failed: {e}")),
        }
    }
    fn query(&self, sql: &str) -> String {
        self.try_query(sql).unwrap_or_else(|e| {
            panic!(
                "ClickHouse ({}) query failed: {e}\nSQL: {sql}",
                self.engine()
            )
        })
    }
    /// Sends `body` as the data of `insert_sql` (e.g. `INSERT INTO t(a,b) FORMAT RowBinary`)
    /// in `database`.
    fn insert_data(&self, database: &str, insert_sql: &str, body: &[u8]) -> Result<String, String> {
        let mut path = format!("/?database={database}&query=");
        for b in insert_sql.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                path.push(b as char);
            } else {
                let _ = write!(path, "%{b:02X}");
            }
        }
        match http_request(
            self.http_port(),
            "POST",
            &path,
            body,
            CLICKHOUSE_QUERY_TIMEOUT,
        ) {
            Ok(r) if r.status == 200 => Ok(r.text()),
            Ok(r) => Err(format!("HTTP {}: {}", r.status, r.text().trim_end())),
            Err(e) => Err(format!("request failed: {e}")),
        }
    }
    /// Graceful stop; the data stays for `start_again`.
    fn stop(&mut self);
    /// Same port, same data.
    fn start_again(&mut self);
}

impl TestClickHouse for ClickHouseServer {
    fn engine(&self) -> &'static str {
        "18.16"
    }
    fn http_port(&self) -> u16 {
        self.http_port
    }
    fn stop(&mut self) {
        ClickHouseServer::stop(self)
    }
    fn start_again(&mut self) {
        ClickHouseServer::start_again(self)
    }
}

impl TestClickHouse for ChdbServer {
    fn engine(&self) -> &'static str {
        "current (chdb)"
    }
    fn http_port(&self) -> u16 {
        self.http_port
    }
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(10));
        }
    }
    fn start_again(&mut self) {
        TestClickHouse::stop(self);
        if let Err(e) = self.launch() {
            panic!("chdb start_again failed: {e}");
        }
    }
}

impl Drop for ChdbServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- chdb_http.py stderr (last lines):\n{}",
                tail_of(&self.dir.join("stderr.log"), 20)
            );
        }
        if let Some(mut child) = self.child.take() {
            kill_now(&mut child);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper and a ClickHouse cluster
// ---------------------------------------------------------------------------------------------

/// Debian's ZooKeeper (standalone, `ZooKeeperServerMain`) on a free port: what ClickHouse's
/// ON CLUSTER DDL and replicated tables coordinate through.
#[derive(Debug)]
pub struct ZooKeeperServer {
    port: u16,
    child: Option<Child>,
    dir: TempDir,
}

const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";

impl ZooKeeperServer {
    pub fn start() -> ZooKeeperServer {
        if !Path::new(ZOOKEEPER_JAR).exists() {
            panic!("{ZOOKEEPER_JAR} is missing (Debian's zookeeper): {SETUP_HINT}");
        }
        let java = require_program("java");
        let dir = TempDir::new("zookeeper");
        let port = free_port();
        let log = fs::File::create(dir.join("zookeeper.log")).unwrap();
        let mut child = Command::new(java)
            .args(["-Xmx256m", "-Dzookeeper.admin.enableServer=false", "-cp"])
            .arg(ZOOKEEPER_JAR)
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(port.to_string())
            .arg(dir.join("data"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start zookeeper");
        let up = wait_until(Duration::from_secs(30), || {
            matches!(child.try_wait(), Ok(Some(_))) || zookeeper_ready(port)
        });
        if !up || matches!(child.try_wait(), Ok(Some(_))) {
            kill_now(&mut child);
            panic!(
                "zookeeper did not start on port {port}:\n{}",
                tail_of(&dir.join("zookeeper.log"), 20)
            );
        }
        ZooKeeperServer {
            port,
            child: Some(child),
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// ZooKeeper's `srvr` four-letter word answers once it serves.
fn zookeeper_ready(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut out = String::new();
    s.write_all(b"srvr").is_ok() && s.read_to_string(&mut out).is_ok() && out.contains("Mode:")
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_now(&mut child);
        }
    }
}

/// A local ClickHouse cluster named [`ClickHouseCluster::NAME`]: `shards` clickhouse-server
/// processes, one replica per shard (`internal_replication`, as replicated tables want), the
/// `{shard}`/`{replica}` macros, distributed DDL and replication through one ZooKeeper.
#[derive(Debug)]
pub struct ClickHouseCluster {
    pub nodes: Vec<ClickHouseServer>,
    pub zookeeper: ZooKeeperServer,
}

impl ClickHouseCluster {
    pub const NAME: &'static str = "acm_cluster";

    pub fn start(shards: usize) -> ClickHouseCluster {
        let zookeeper = ZooKeeperServer::start();
        let ports: Vec<(u16, u16, u16)> = (0..shards)
            .map(|_| (free_port(), free_port(), free_port()))
            .collect();
        let mut remote = String::new();
        for (_, tcp, _) in &ports {
            let _ = write!(
                remote,
                "<shard><internal_replication>true</internal_replication><replica>\
                 <host>127.0.0.1</host><port>{tcp}</port></replica></shard>"
            );
        }
        let nodes = ports
            .iter()
            .enumerate()
            .map(|(i, &(http, tcp, interserver))| {
                let extra = format!(
                    "    <interserver_http_port>{interserver}</interserver_http_port>\n\
                     <interserver_http_host>127.0.0.1</interserver_http_host>\n\
                     <remote_servers><{name}>{remote}</{name}></remote_servers>\n\
                     <zookeeper><node><host>127.0.0.1</host><port>{zk}</port></node></zookeeper>\n\
                     <macros><shard>s{n}</shard><replica>r{n}</replica></macros>\n\
                     <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>",
                    name = Self::NAME,
                    zk = zookeeper.port(),
                    n = i + 1,
                );
                ClickHouseServer::start_with(http, tcp, &extra)
            })
            .collect::<Vec<_>>();
        // Ready when every node talks to ZooKeeper (its session starts after /ping answers).
        for node in &nodes {
            let ready = wait_until(Duration::from_secs(30), || {
                node.try_query("SELECT count() FROM system.zookeeper WHERE path = '/'")
                    .is_ok()
            });
            assert!(ready, "node {} never reached ZooKeeper", node.http_url());
        }
        ClickHouseCluster { nodes, zookeeper }
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.http_url()).collect()
    }
}

/// A field of this process's `/proc/self/status` in KiB (`"VmRSS:"`, `"VmHWM:"`).
pub fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
