// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading call detail records: CSV or JSON lines, plain or gzip, with a
//! column mapping from the file's own names to the fields of a [`Call`].
//!
//! Each field has a list of usual header names (matched without regard to
//! case, `-` or `_`); `--map a_number=CallingNumber` names the column
//! explicitly, and `--map a_number=#3` picks the third column of a file
//! without a header. Gzip is recognised by the `.gz` extension or by its magic
//! bytes; the format by the extension (`.csv`, `.jsonl`, `.ndjson`, `.json`)
//! or, failing that, by whether the first byte is `{`. A row that cannot be
//! read becomes a [`BadRow`] naming the file, the line and the reason; reading
//! goes on with the next row.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use compact_str::CompactString;
use serde_json::Value;

use super::csvline::Fields;
use crate::engine::call::{Attestation, Call};

/// The fields of a call that a CDR column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    CallId,
    ANumber,
    BNumber,
    Timestamp,
    SourceIp,
    Trunk,
    Pai,
    Attestation,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::CallId,
        Field::ANumber,
        Field::BNumber,
        Field::Timestamp,
        Field::SourceIp,
        Field::Trunk,
        Field::Pai,
        Field::Attestation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::CallId => "call_id",
            Field::ANumber => "a_number",
            Field::BNumber => "b_number",
            Field::Timestamp => "timestamp",
            Field::SourceIp => "source_ip",
            Field::Trunk => "trunk",
            Field::Pai => "pai",
            Field::Attestation => "attestation",
        }
    }

    /// Header names recognised without a `--map`, compared after
    /// lower-casing and dropping `_`, `-` and spaces.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::CallId => &["callid", "id", "uniqueid", "sipcallid"],
            Field::ANumber => &[
                "anumber",
                "cli",
                "calling",
                "callingnumber",
                "caller",
                "callerid",
                "src",
                "from",
            ],
            Field::BNumber => &[
                "bnumber",
                "called",
                "callednumber",
                "callee",
                "dst",
                "to",
                "destination",
            ],
            Field::Timestamp => &[
                "timestamp",
                "time",
                "timems",
                "timestampms",
                "starttime",
                "start",
                "setuptime",
                "ts",
                "epochms",
            ],
            Field::SourceIp => &["sourceip", "srcip", "ip", "source", "sourceaddress"],
            Field::Trunk => &["trunk", "trunkgroup", "ingresstrunk", "route"],
            Field::Pai => &["pai", "passertedidentity", "assertedidentity"],
            Field::Attestation => &["attestation", "shakenattestation", "attest"],
        }
    }

    fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a field comes from, when the user says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// A header (CSV) or key (JSON) name, matched without regard to case.
    Name(String),
    /// A 1-based column number (CSV only).
    Index(usize),
}

/// The column mapping: defaults plus `--map` overrides.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    overrides: Vec<(Field, Column)>,
}

impl ColumnMap {
    /// Parses `a_number=CallingNumber,b_number=#2` (repeatable).
    pub fn add_overrides(&mut self, spec: &str) -> Result<(), String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, col) = part
                .split_once('=')
                .ok_or_else(|| format!("--map {part:?}: expected FIELD=COLUMN"))?;
            let field = Field::parse(field.trim()).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "--map {part:?}: unknown field (known: {})",
                    known.join(", ")
                )
            })?;
            let col = col.trim();
            let column = match col.strip_prefix('#') {
                Some(n) => match n.parse::<usize>() {
                    Ok(i) if i >= 1 => Column::Index(i),
                    _ => return Err(format!("--map {part:?}: column numbers start at #1")),
                },
                None if col.is_empty() => return Err(format!("--map {part:?}: empty column")),
                None => Column::Name(col.to_string()),
            };
            self.overrides.retain(|(f, _)| *f != field);
            self.overrides.push((field, column));
        }
        Ok(())
    }

    fn override_of(&self, f: Field) -> Option<&Column> {
        self.overrides.iter().find(|(g, _)| *g == f).map(|(_, c)| c)
    }

    /// Column index per field for a CSV header (or for a headerless file,
    /// where only `#N` overrides and the default order apply).
    fn resolve_csv(&self, header: Option<&[String]>) -> Result<[Option<usize>; 8], String> {
        let mut out = [None; 8];
        for (i, f) in Field::ALL.into_iter().enumerate() {
            out[i] = match (self.override_of(f), header) {
                (Some(Column::Index(n)), _) => Some(n - 1),
                (Some(Column::Name(name)), Some(h)) => {
                    let want = fold(name);
                    Some(h.iter().position(|c| fold(c) == want).ok_or_else(|| {
                        format!("--map {}={name}: no such column in the header", f.name())
                    })?)
                }
                (Some(Column::Name(name)), None) => {
                    return Err(format!(
                        "--map {}={name}: a file without a header needs #N",
                        f.name()
                    ))
                }
                (None, Some(h)) => {
                    let folded: Vec<String> = h.iter().map(|c| fold(c)).collect();
                    let own = fold(f.name());
                    folded.iter().position(|c| *c == own).or_else(|| {
                        folded
                            .iter()
                            .position(|c| f.aliases().contains(&c.as_str()))
                    })
                }
                // Headerless without a map: the documented default order.
                (None, None) => Some(i),
            };
        }
        if out[Field::BNumber as usize].is_none() {
            return Err("no b_number column (use --map b_number=NAME)".into());
        }
        if out[Field::Timestamp as usize].is_none() {
            return Err("no timestamp column (use --map timestamp=NAME)".into());
        }
        Ok(out)
    }

    /// The JSON key per field, found on the first object that has one.
    fn json_keys(&self) -> [Vec<String>; 8] {
        Field::ALL.map(|f| match self.override_of(f) {
            Some(Column::Name(n)) => vec![fold(n)],
            Some(Column::Index(_)) => Vec::new(),
            None => {
                let mut v = vec![fold(f.name())];
                v.extend(f.aliases().iter().map(|s| s.to_string()));
                v
            }
        })
    }
}

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            _ => Err(format!("unknown format {s:?} (csv, jsonl)")),
        }
    }
}

/// A row that was not replayed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub file: PathBuf,
    pub line: u64,
    pub reason: String,
    /// The file could not be read (missing, a directory, not gzip, no usable header) or was
    /// cut short (truncated gzip, a read error): the replay did not see all of it.
    pub whole_file: bool,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// One parsed row and where it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub call: Call,
    /// Index of the file in the replay's file list.
    pub file: u32,
    pub line: u64,
}

impl Row {
    pub fn time_ms(&self) -> i64 {
        self.call.time_ms.unwrap_or(0)
    }
}

/// Parses a timestamp: RFC 3339 (`2024-03-04T10:00:00.250Z`, any offset),
/// `2024-03-04 10:00:00[.250]` read as UTC, or epoch milliseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        return s.parse::<i64>().ok();
    }
    if let Some(t) = fast_rfc3339(b) {
        return Some(t);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|d| d.and_utc().timestamp_millis())
}

fn num(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f+](Z|±HH:MM)` without allocation; None sends
/// anything else to chrono.
fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, sec) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                ms = ms * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            ms *= 10;
        }
    }
    let offset_min = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let v = num(&[*h1, *h2])? * 60 + num(&[*m1, *m2])?;
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // Day-of-month beyond the month's end: let chrono refuse it.
    if d > 28 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + ms)
}

/// Opens a file, unwrapping gzip (by extension or magic bytes).
pub fn open(path: &Path, on_read: Option<Box<dyn Fn(u64)>>) -> std::io::Result<Box<dyn BufRead>> {
    let file = File::open(path)?;
    let counted: Box<dyn Read> = match on_read {
        Some(f) => Box::new(Counting {
            inner: file,
            on_read: f,
        }),
        None => Box::new(file),
    };
    let mut raw = BufReader::with_capacity(1 << 16, counted);
    let gz_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let magic = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if gz_name || magic {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(raw))
    }
}

/// Reports bytes read from the file (compressed bytes for gzip), for progress.
struct Counting {
    inner: File,
    on_read: Box<dyn Fn(u64)>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_read)(n as u64);
        Ok(n)
    }
}

/// Guesses the format from the name, then from the first byte.
pub fn detect_format(path: &Path, reader: &mut dyn BufRead) -> std::io::Result<Format> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        return Ok(Format::Csv);
    }
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
        return Ok(Format::Jsonl);
    }
    let head = reader.fill_buf()?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        Format::Jsonl
    } else {
        Format::Csv
    })
}

/// Builds a call from one field lookup; the closure answers a field's text.
fn build_call<'a>(get: impl Fn(Field) -> Option<&'a str>) -> Result<Call, String> {
    let text = |f: Field| get(f).map(str::trim).filter(|s| !s.is_empty());
    let b_number = text(Field::BNumber).ok_or("b_number is empty")?;
    let ts = text(Field::Timestamp).ok_or("timestamp is empty")?;
    let time_ms = parse_timestamp(ts).ok_or_else(|| {
        format!("timestamp {ts:?} is not RFC 3339, \"YYYY-MM-DD HH:MM:SS\" or epoch ms")
    })?;
    let source_ip = match text(Field::SourceIp) {
        None => None,
        // A CDR may keep the SIP source with its port (`10.0.0.1:5060`,
        // `[2001:db8::1]:5060`): the address is what is judged.
        Some(s) => Some(
            s.parse::<std::net::IpAddr>()
                .or_else(|_| s.parse::<std::net::SocketAddr>().map(|a| a.ip()))
                .map_err(|_| format!("source_ip {s:?} is not an IP address (or address:port)"))?,
        ),
    };
    let attestation = match text(Field::Attestation) {
        None => Attestation::None,
        Some(s) => Attestation::parse(s)
            .ok_or_else(|| format!("attestation {s:?} is not A, B, C or empty"))?,
    };
    Ok(Call {
        call_id: text(Field::CallId)
            .map(CompactString::from)
            .unwrap_or_default(),
        a_number: get(Field::ANumber)
            .map(|s| CompactString::from(s.trim()))
            .unwrap_or_default(),
        b_number: b_number.into(),
        time_ms: Some(time_ms),
        source_ip,
        trunk: text(Field::Trunk).map(CompactString::from),
        pai: text(Field::Pai).map(CompactString::from),
        attestation,
    })
}

/// Options for reading one file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub map: ColumnMap,
    /// None: detect per file.
    pub format: Option<Format>,
    /// CSV files have no header row.
    pub no_header: bool,
}

enum Inner {
    Csv {
        reader: Box<dyn BufRead>,
        cols: [Option<usize>; 8],
        /// The header's names (empty without a header), to name a field in an error.
        names: Vec<String>,
        line: u64,
        buf: Vec<u8>,
        fields: Fields,
    },
    Jsonl {
        reader: Box<dyn BufRead>,
        keys: [Vec<String>; 8],
        line: u64,
        buf: String,
    },
}

/// Reads rows from one file, one at a time.
pub struct CdrReader {
    path: PathBuf,
    file_index: u32,
    inner: Inner,
    done: bool,
}

impl CdrReader {
    /// Opens the file and reads its header. An error here concerns the whole
    /// file (cannot open, no usable header) and is reported as line 0/1.
    pub fn new(
        path: &Path,
        file_index: u32,
        opts: &ReadOptions,
        on_read: Option<Box<dyn Fn(u64)>>,
    ) -> Result<CdrReader, BadRow> {
        let whole = |line: u64, reason: String| BadRow {
            file: path.to_path_buf(),
            line,
            reason,
            whole_file: true,
        };
        let mut reader = open(path, on_read).map_err(|e| whole(0, format!("cannot open: {e}")))?;
        let format = match opts.format {
            Some(f) => f,
            None => detect_format(path, &mut reader).map_err(|e| whole(0, e.to_string()))?,
        };
        let inner = match format {
            Format::Csv => {
                let mut line = 0u64;
                let mut buf = Vec::new();
                let mut fields = Fields::default();
                let header = if opts.no_header {
                    None
                } else {
                    // The first line that is not empty.
                    loop {
                        buf.clear();
                        match reader.read_until(b'\n', &mut buf) {
                            Ok(0) => break Some(Vec::new()),
                            Ok(_) => {}
                            Err(e) => return Err(whole(line + 1, format!("header: {e}"))),
                        }
                        line += 1;
                        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
                        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
                        if text.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        if let Err(k) = fields.split(text) {
                            return Err(whole(
                                line,
                                format!("header: column {}: a quote is not closed", k + 1),
                            ));
                        }
                        let names = fields
                            .iter()
                            .map(|f| String::from_utf8(f.to_vec()))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|_| {
                                whole(line, "header: not UTF-8 text (not a CDR file?)".into())
                            })?;
                        break Some(names);
                    }
                };
                if header.as_ref().is_some_and(|h| h.is_empty()) {
                    return Ok(CdrReader {
                        path: path.to_path_buf(),
                        file_index,
                        inner: Inner::Jsonl {
                            reader: Box::new(std::io::empty()),
                            keys: Default::default(),
                            line: 0,
                            buf: String::new(),
                        },
                        done: true,
                    });
                }
                let cols = opts
                    .map
                    .resolve_csv(header.as_deref())
                    .map_err(|e| whole(line.max(1), e))?;
                Inner::Csv {
                    reader,
                    cols,
                    names: header.unwrap_or_default(),
                    line,
                    buf,
                    fields,
                }
            }
            Format::Jsonl => Inner::Jsonl {
                reader,
                keys: opts.map.json_keys(),
                line: 0,
                buf: String::new(),
            },
        };
        Ok(CdrReader {
            path: path.to_path_buf(),
            file_index,
            inner,
            done: false,
        })
    }

    fn bad(&self, line: u64, reason: impl Into<String>) -> BadRow {
        BadRow {
            file: self.path.clone(),
            line,
            reason: reason.into(),
            whole_file: self.done,
        }
    }

    /// The next row, a bad row, or None at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<Row, BadRow>> {
        if self.done {
            return None;
        }
        let file_index = self.file_index;
        let outcome: Result<Row, (u64, String)> = match &mut self.inner {
            Inner::Csv {
                reader,
                cols,
                names,
                line,
                buf,
                fields,
            } => loop {
                buf.clear();
                match reader.read_until(b'\n', buf) {
                    Ok(0) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        break Err((*line + 1, format!("read error: {e}")));
                    }
                    Ok(_) => {}
                }
                *line += 1;
                let text = buf.strip_suffix(b"\n").unwrap_or(buf);
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if let Err(k) = fields.split(text) {
                    let name = names.get(k).map(|n| format!(" ({n})")).unwrap_or_default();
                    break Err((
                        *line,
                        format!(
                            "field {}{name}: a quote opened there is not closed on this line \
                             (row skipped, reading goes on with the next line)",
                            k + 1
                        ),
                    ));
                }
                break csv_row(fields, cols)
                    .map(|call| Row {
                        call,
                        file: file_index,
                        line: *line,
                    })
                    .map_err(|e| (*line, e));
            },
            Inner::Jsonl {
                reader,
                keys,
                line,
                buf,
            } => loop {
                buf.clear();
                match reader.read_line(buf) {
                    Ok(0) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        break Err((*line + 1, format!("read error: {e}")));
                    }
                    Ok(_) => {}
                }
                *line += 1;
                if buf.trim().is_empty() {
                    continue;
                }
                break json_row(buf, keys)
                    .map(|call| Row {
                        call,
                        file: file_index,
                        line: *line,
                    })
                    .map_err(|e| (*line, e));
            },
        };
        Some(outcome.map_err(|(line, reason)| self.bad(line, reason)))
    }
}

fn csv_row(record: &Fields, cols: &[Option<usize>; 8]) -> Result<Call, String> {
    let need = cols.iter().flatten().max().copied().unwrap_or(0);
    if record.len() <= cols[Field::BNumber as usize].unwrap_or(0)
        || record.len() <= cols[Field::Timestamp as usize].unwrap_or(0)
    {
        return Err(format!(
            "has {} fields, the mapping needs {}",
            record.len(),
            need + 1
        ));
    }
    let mut fields: [Option<&str>; 8] = [None; 8];
    for (i, c) in cols.iter().enumerate() {
        if let Some(c) = c {
            if let Some(raw) = record.get(*c) {
                fields[i] = Some(
                    std::str::from_utf8(raw)
                        .map_err(|_| format!("{} is not valid UTF-8", Field::ALL[i].name()))?,
                );
            }
        }
    }
    build_call(|f| fields[f as usize])
}

fn json_row(line: &str, keys: &[Vec<String>; 8]) -> Result<Call, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(map) = v else {
        return Err("not a JSON object".into());
    };
    let mut texts: [Option<String>; 8] = Default::default();
    let mut ranks = [usize::MAX; 8];
    for (k, v) in &map {
        let folded = fold(k);
        for (i, names) in keys.iter().enumerate() {
            // The field's own name wins over its aliases, earlier aliases over later.
            let Some(rank) = names.iter().position(|n| *n == folded) else {
                continue;
            };
            if rank >= ranks[i] {
                continue;
            }
            ranks[i] = rank;
            texts[i] = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => return Err(format!("{k}: must be a string or a number")),
            };
        }
    }
    build_call(|f| texts[f as usize].as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_accepted_form() {
        let z = 1_709_546_400_000; // 2024-03-04T10:00:00Z
        assert_eq!(parse_timestamp("2024-03-04T10:00:00Z"), Some(z));
        assert_eq!(parse_timestamp("2024-03-04T10:00:00.25Z"), Some(z + 250));
        assert_eq!(
            parse_timestamp("2024-03-04T10:00:00.123456Z"),
            Some(z + 123)
        );
        assert_eq!(parse_timestamp("2024-03-04T11:00:00+01:00"), Some(z));
        assert_eq!(parse_timestamp("2024-03-04 10:00:00"), Some(z));
        assert_eq!(parse_timestamp("2024-03-04 10:00:00.5"), Some(z + 500));
        assert_eq!(parse_timestamp("1709546400000"), Some(z));
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
        assert_eq!(parse_timestamp("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        // The fast path agrees with chrono across many dates.
        for day in (0..20_000).step_by(37) {
            let t = day as i64 * 86_400_000 + 3_723_456;
            let s = chrono::DateTime::from_timestamp_millis(t)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            assert_eq!(parse_timestamp(&s), Some(t), "{s}");
        }
    }

    #[test]
    fn a_source_address_may_carry_its_port() {
        let call = |ip: &'static str| {
            build_call(move |f| match f {
                Field::BNumber => Some("+2348099999999"),
                Field::Timestamp => Some("1709546400000"),
                Field::SourceIp => Some(ip),
                _ => None,
            })
        };
        for (raw, want) in [
            ("10.0.0.1", "10.0.0.1"),
            ("10.0.0.1:5060", "10.0.0.1"),
            (" 2001:db8::1 ", "2001:db8::1"),
            ("[2001:db8::1]:5060", "2001:db8::1"),
        ] {
            let ip = call(raw).unwrap().source_ip.unwrap();
            assert_eq!(ip, want.parse::<std::net::IpAddr>().unwrap(), "{raw}");
        }
        let e = call("gw1.example.net").unwrap_err();
        assert!(
            e.contains("source_ip") && e.contains("gw1.example.net"),
            "{e}"
        );
    }

    #[test]
    fn map_overrides_and_aliases() {
        let mut m = ColumnMap::default();
        m.add_overrides("a_number=CallingNumber, b_number=#3")
            .unwrap();
        let header: Vec<String> = ["When", "CallingNumber", "x", "IngressTrunk", "Start_Time"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = m.resolve_csv(Some(&header)).unwrap();
        assert_eq!(cols[Field::ANumber as usize], Some(1));
        assert_eq!(cols[Field::BNumber as usize], Some(2));
        assert_eq!(cols[Field::Trunk as usize], Some(3));
        assert_eq!(cols[Field::Timestamp as usize], Some(4));
        assert!(m.add_overrides("bogus=x").is_err());
        assert!(m.add_overrides("a_number=#0").is_err());
    }
}
