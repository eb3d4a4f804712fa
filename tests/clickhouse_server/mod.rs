//! A throwaway clickhouse-server for tests and benchmarks: own config, own ports, own data dir.
//! A missing server binary is a hard failure (panic), never a skip.
#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ClickHouseServer {
    dir: PathBuf,
    http_port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server_binary() -> String {
    if let Ok(path) = std::env::var("ACM_CLICKHOUSE_SERVER") {
        return path;
    }
    for candidate in [
        "/usr/bin/clickhouse-server",
        "/usr/sbin/clickhouse-server",
        "/usr/bin/clickhouse",
    ] {
        if std::path::Path::new(candidate).exists() {
            return candidate.to_string();
        }
    }
    panic!(
        "clickhouse-server not found: install it (`apt-get install -y --no-install-recommends \
         clickhouse-server clickhouse-client`) or set ACM_CLICKHOUSE_SERVER"
    );
}

impl ClickHouseServer {
    pub fn start() -> ClickHouseServer {
        let dir = std::env::temp_dir().join(format!(
            "acm-ch-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ rand_suffix()
        ));
        fs::create_dir_all(dir.join("data")).unwrap();
        let http_port = free_port();
        let tcp_port = free_port();
        let d = dir.display();
        fs::write(
            dir.join("config.xml"),
            format!(
                r#"<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
"#
            ),
        )
        .unwrap();
        fs::write(
            dir.join("users.xml"),
            r#"<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"#,
        )
        .unwrap();
        let mut server = ClickHouseServer {
            dir,
            http_port,
            child: None,
        };
        server.start_again();
        server
    }

    /// Start the same server (same data, same ports) after `stop()`.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let mut command = Command::new(server_binary());
        let binary = server_binary();
        if binary.ends_with("/clickhouse") {
            command = Command::new(binary);
            command.arg("server");
        }
        let child = command
            .arg(format!(
                "--config-file={}",
                self.dir.join("config.xml").display()
            ))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start clickhouse-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
        panic!("clickhouse-server did not answer /ping within 30 s; error.log:\n{log}");
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc_kill(child.id() as i32, 15) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    // Wait until the port is released.
                    while std::net::TcpStream::connect(("127.0.0.1", self.http_port)).is_ok() {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    fn ping(&self) -> bool {
        http_request(self.http_port, "GET", "/ping", "").is_ok_and(|body| body.starts_with("Ok."))
    }

    /// Run one statement over HTTP; returns the response body (TSV unless the SQL says otherwise).
    pub fn query(&self, sql: &str) -> String {
        match http_request(self.http_port, "POST", "/", sql) {
            Ok(body) => body,
            Err(e) => panic!("query failed: {e}\nSQL: {sql}"),
        }
    }
}

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u128
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// Minimal HTTP/1.0 client (no extra dev-dependency): returns the body on 200, else an error.
fn http_request(port: u16, method: &str, path: &str, body: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") {
        Ok(body.to_string())
    } else {
        Err(format!("{}: {body}", head.lines().next().unwrap_or("")))
    }
}
