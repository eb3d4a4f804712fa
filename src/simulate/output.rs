// SPDX-License-Identifier: MIT OR Apache-2.0
//! Writing simulated traffic: the CDR CSV in the full form or in the hidden
//! evaluation set's six columns, and the labels CSV; gzip when a file name
//! ends in `.gz`.

use std::io::Write;

use super::SimCall;

/// The CDR columns written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CdrFormat {
    /// `call_id,timestamp,a_number,b_number,source_ip,trunk,pai,attestation`
    /// (RFC 3339 times).
    #[default]
    Full,
    /// `call_id,a_number,b_number,timestamp_ms,source_ip,trunk` (epoch ms; no
    /// PAI, no attestation: a withheld caller's network number is the A-number).
    Hidden,
}

/// Call id of the i-th call of a simulated run.
pub fn call_id(i: usize) -> String {
    format!("sim-{i:09}")
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Writes the CDR CSV in the full form.
pub fn write_cdrs(calls: &[SimCall], w: impl Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "call_id",
        "timestamp",
        "a_number",
        "b_number",
        "source_ip",
        "trunk",
        "pai",
        "attestation",
    ])?;
    for (i, c) in calls.iter().enumerate() {
        out.write_record([
            call_id(i).as_str(),
            &rfc3339(c.time_ms),
            &c.a,
            &c.b,
            &c.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            c.trunk.as_deref().unwrap_or(""),
            c.pai.as_deref().unwrap_or(""),
            c.attestation,
        ])?;
    }
    out.flush()
}

/// Writes the CDR CSV in the hidden evaluation set's six columns.
pub fn write_cdrs_hidden(calls: &[SimCall], w: impl Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "call_id",
        "a_number",
        "b_number",
        "timestamp_ms",
        "source_ip",
        "trunk",
    ])?;
    for (i, c) in calls.iter().enumerate() {
        let a = match &c.pai {
            Some(p) if c.a == "anonymous" => p.as_str(),
            _ => c.a.as_str(),
        };
        out.write_record([
            call_id(i).as_str(),
            a,
            &c.b,
            &c.time_ms.to_string(),
            &c.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            c.trunk.as_deref().unwrap_or(""),
        ])?;
    }
    out.flush()
}

/// Writes the labels CSV: `call_id,class,type,instance,intensity,variant`.
pub fn write_labels(calls: &[SimCall], w: impl Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "call_id",
        "class",
        "type",
        "instance",
        "intensity",
        "variant",
    ])?;
    for (i, c) in calls.iter().enumerate() {
        let attack = c.kind.is_attack();
        let (instance, intensity) = if attack {
            (
                format!("{}-{:05}", c.kind.name(), c.instance),
                c.intensity.to_string(),
            )
        } else {
            (String::new(), String::new())
        };
        out.write_record([
            call_id(i).as_str(),
            if attack { "attack" } else { "legit" },
            c.kind.name(),
            &instance,
            &intensity,
            c.variant,
        ])?;
    }
    out.flush()
}

/// An output file, gzip-compressed when its name ends in `.gz`.
pub enum Output {
    Plain(std::io::BufWriter<std::fs::File>),
    Gzip(flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>),
}

impl Output {
    pub fn create(path: &std::path::Path) -> Result<Output, String> {
        let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let w = std::io::BufWriter::with_capacity(1 << 16, f);
        Ok(if path.extension().is_some_and(|e| e == "gz") {
            Output::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::fast(),
            ))
        } else {
            Output::Plain(w)
        })
    }

    /// Flushes, and writes the gzip trailer.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gzip(g) => g.finish()?.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(w) => w.flush(),
        }
    }
}
