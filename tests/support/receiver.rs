// SPDX-License-Identifier: MIT OR Apache-2.0
//! A real HTTP receiver for webhooks (records every request, answers 200) and a
//! Server-Sent Events client. std only.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    /// Wall clock at arrival, ms since the epoch.
    pub wall_ms: i64,
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Listens on 127.0.0.1:port until dropped or stopped.
pub struct WebhookReceiver {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn read_request(stream: TcpStream) -> io::Result<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "EOF in headers",
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
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let mut stream = r.into_inner();
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    Ok(Received {
        at: Instant::now(),
        wall_ms: wall_ms(),
        path,
        headers,
        body,
    })
}

impl WebhookReceiver {
    pub fn start() -> WebhookReceiver {
        WebhookReceiver::start_on(super::free_port())
    }

    pub fn start_on(port: u16) -> WebhookReceiver {
        WebhookReceiver::start_with(port, Arc::new(Mutex::new(Vec::new())))
    }

    fn start_with(port: u16, got: Arc<Mutex<Vec<Received>>>) -> WebhookReceiver {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("receiver cannot bind {port}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (g, st) = (got.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        if let Ok(req) = read_request(s) {
                            g.lock().unwrap().push(req);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        WebhookReceiver {
            port,
            got,
            stop,
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Stops listening (connections are refused) and keeps what was received.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Listens again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let again = WebhookReceiver::start_with(self.port, self.got.clone());
        self.stop = again.stop.clone();
        let mut again = again;
        self.thread = again.thread.take();
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub at: Instant,
    /// Wall clock at arrival, ms since the epoch.
    pub wall_ms: i64,
    pub id: String,
    pub event: String,
    pub data: String,
}

/// A stream being read on a thread of its own.
pub struct SseClient {
    pub status: u16,
    events: Arc<Mutex<Vec<SseEvent>>>,
    stream: TcpStream,
}

impl SseClient {
    pub fn connect(port: u16, path: &str, headers: &[(&str, &str)]) -> SseClient {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        let mut head = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        let reader = stream.try_clone().unwrap();
        reader
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut r = BufReader::new(reader);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut chunked = false;
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if l.starts_with("transfer-encoding:") && l.contains("chunked") {
                chunked = true;
            }
        }
        let events = Arc::new(Mutex::new(Vec::new()));
        let ev = events.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut buf = Vec::new();
            let mut cur = SseEvent {
                at: Instant::now(),
                wall_ms: 0,
                id: String::new(),
                event: String::new(),
                data: String::new(),
            };
            loop {
                // The next piece of the body: one chunk, or what a read gives.
                let piece = if chunked {
                    let mut size = String::new();
                    if r.read_line(&mut size).unwrap_or(0) == 0 {
                        return;
                    }
                    let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    let mut chunk = vec![0u8; n + 2];
                    if r.read_exact(&mut chunk).is_err() {
                        return;
                    }
                    chunk.truncate(n);
                    chunk
                } else {
                    let mut b = [0u8; 4096];
                    match r.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => b[..n].to_vec(),
                    }
                };
                buf.extend_from_slice(&piece);
                while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let l: Vec<u8> = buf.drain(..=pos).collect();
                    text.clear();
                    text.push_str(String::from_utf8_lossy(&l).trim_end_matches(['\r', '\n']));
                    if text.is_empty() {
                        if !cur.data.is_empty() || !cur.event.is_empty() {
                            cur.at = Instant::now();
                            cur.wall_ms = wall_ms();
                            ev.lock().unwrap().push(cur.clone());
                        }
                        cur.id.clear();
                        cur.event.clear();
                        cur.data.clear();
                    } else if let Some(v) = text.strip_prefix("id:") {
                        cur.id = v.trim().to_string();
                    } else if let Some(v) = text.strip_prefix("event:") {
                        cur.event = v.trim().to_string();
                    } else if let Some(v) = text.strip_prefix("data:") {
                        if !cur.data.is_empty() {
                            cur.data.push('\n');
                        }
                        cur.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
            }
        });
        SseClient {
            status,
            events,
            stream,
        }
    }

    pub fn events(&self) -> Vec<SseEvent> {
        self.events.lock().unwrap().clone()
    }
}

impl Drop for SseClient {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}
