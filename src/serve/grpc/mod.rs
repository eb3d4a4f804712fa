// SPDX-License-Identifier: MIT OR Apache-2.0
//! The gRPC face of `acm serve` (proto/acm/v1/acm.proto; docs/grpc.md):
//! `Check`, `CheckStream`, `StreamAlerts`, the triage calls (`SetAlertStatus`,
//! `AddAlertNote`, `AssignAlert`) and the standard
//! `grpc.health.v1.Health`, on `[grpc] listen` (off by default), TLS through
//! rustls when `tls_cert`/`tls_key` are set. It runs in `acm serve`'s runtime
//! over the HTTP face's state: the same Node and Detector (calls are judged by
//! `AppState::check`, as HTTP's are), tokens, alerts book and metrics.
//!
//! Files: `convert` (messages ↔ the crate's types, through HTTP's parser),
//! `stream` (CheckStream's ordered, bounded pump), `alerts` (StreamAlerts,
//! the triage calls).

mod alerts;
pub mod convert;
mod stream;

/// The generated messages, server and client (build.rs).
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("acm.v1");
}

use std::net::SocketAddr;
use std::time::Instant;

use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status, Streaming};

use super::auth::{Caller, Denied};
use super::metrics::Face;
use super::Shared;
use crate::config::{GrpcConfig, Role};
use crate::engine::call::InputError;
use proto::acm_server::{Acm, AcmServer};

/// HTTP/2 receive windows. While a `CheckStream` is held back (its client
/// reads no verdicts), its calls wait unread in h2's buffers, up to the stream
/// window; h2 (0.4.21+) answers a connection whose unread small DATA frames
/// cost more than half the connection window with GOAWAY ENHANCE_YOUR_CALM
/// (its guard against frame floods; one ~100-byte call is one frame). A 64 KiB
/// stream window under a 4 MiB connection window keeps a held stream well
/// inside that budget (about 700 KiB for 64 KiB of 20-byte calls, under 150
/// KiB for typical ones) while still letting some 600 typical calls ahead.
const STREAM_WINDOW: u32 = 64 * 1024;
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// The service over `acm serve`'s state.
pub struct Service {
    state: Shared,
    max_in_flight: usize,
}

const CHECK: &str = "/acm.v1.Acm/Check";
const CHECK_STREAM: &str = "/acm.v1.Acm/CheckStream";

/// A refused call: INVALID_ARGUMENT, "<field>: <reason>", and the field in
/// the `acm-field` trailer for programs.
fn invalid(e: &InputError) -> Status {
    let mut md = MetadataMap::new();
    if let Ok(v) = e.field.parse() {
        md.insert("acm-field", v);
    }
    Status::with_metadata(Code::InvalidArgument, e.to_string(), md)
}

/// HTTP's 401/403/404 as gRPC codes.
fn denied(d: Denied) -> Status {
    match d.status.as_u16() {
        401 => Status::unauthenticated(d.reason),
        403 => Status::permission_denied(d.reason),
        _ => Status::not_found(d.reason),
    }
}

impl Service {
    fn refused(&self, route: &str, s: Status) -> Status {
        self.state
            .metrics
            .bad_request(Face::Grpc, route, &format!("{:?}", s.code()));
        s
    }

    /// The caller of a request, by the same tokens and roles as HTTP.
    fn authorise(&self, md: &MetadataMap, need: Role, route: &str) -> Result<Caller, Status> {
        let headers = md.clone().into_headers();
        self.state
            .access
            .check(&headers, need, "alerts API")
            .map_err(|d| self.refused(route, denied(d)))
    }
}

#[tonic::async_trait]
impl Acm for Service {
    async fn check(
        &self,
        request: Request<proto::CheckRequest>,
    ) -> Result<Response<proto::CheckResponse>, Status> {
        let started = Instant::now();
        let call =
            convert::call(request.get_ref()).map_err(|e| self.refused(CHECK, invalid(&e)))?;
        let v = self
            .state
            .check_since(Face::Grpc, &call, started)
            .await
            .map_err(|e| self.refused(CHECK, invalid(&e)))?;
        Ok(Response::new(proto::CheckResponse {
            verdict: Some(convert::verdict(&v)),
            new_alerts: v.new_alerts.iter().map(convert::alert).collect(),
        }))
    }

    type CheckStreamStream = stream::Verdicts;

    async fn check_stream(
        &self,
        request: Request<Streaming<proto::CheckRequest>>,
    ) -> Result<Response<Self::CheckStreamStream>, Status> {
        Ok(Response::new(stream::pump(
            self.state.clone(),
            request.into_inner(),
            self.max_in_flight,
        )))
    }

    type StreamAlertsStream = alerts::Events;

    async fn stream_alerts(
        &self,
        request: Request<proto::StreamAlertsRequest>,
    ) -> Result<Response<Self::StreamAlertsStream>, Status> {
        const ROUTE: &str = "/acm.v1.Acm/StreamAlerts";
        self.authorise(request.metadata(), Role::Viewer, ROUTE)?;
        alerts::stream(&self.state, request.get_ref())
            .map(Response::new)
            .map_err(|s| self.refused(ROUTE, s))
    }

    async fn set_alert_status(
        &self,
        request: Request<proto::SetAlertStatusRequest>,
    ) -> Result<Response<proto::AlertSummary>, Status> {
        const ROUTE: &str = "/acm.v1.Acm/SetAlertStatus";
        let caller = self.authorise(request.metadata(), Role::Analyst, ROUTE)?;
        alerts::set_status(&self.state, &caller, request.get_ref())
            .await
            .map(Response::new)
            .map_err(|s| self.refused(ROUTE, s))
    }

    async fn add_alert_note(
        &self,
        request: Request<proto::AddAlertNoteRequest>,
    ) -> Result<Response<proto::AlertSummary>, Status> {
        const ROUTE: &str = "/acm.v1.Acm/AddAlertNote";
        let caller = self.authorise(request.metadata(), Role::Analyst, ROUTE)?;
        alerts::add_note(&self.state, &caller, request.get_ref())
            .await
            .map(Response::new)
            .map_err(|s| self.refused(ROUTE, s))
    }

    async fn assign_alert(
        &self,
        request: Request<proto::AssignAlertRequest>,
    ) -> Result<Response<proto::AlertSummary>, Status> {
        const ROUTE: &str = "/acm.v1.Acm/AssignAlert";
        let caller = self.authorise(request.metadata(), Role::Analyst, ROUTE)?;
        alerts::assign(&self.state, &caller, request.get_ref())
            .await
            .map(Response::new)
            .map_err(|s| self.refused(ROUTE, s))
    }
}

/// Binds `[grpc] listen` and serves until `acm serve` stops (its alerts'
/// `closing` flag), in a task of the current runtime. Errors name the key.
pub async fn start(state: Shared, cfg: &GrpcConfig) -> Result<tokio::task::JoinHandle<()>, String> {
    let addr: SocketAddr = cfg
        .listen
        .parse()
        .map_err(|e| format!("grpc.listen: {e}"))?;
    let mut server = tonic::transport::Server::builder()
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW);
    let tls = !cfg.tls_cert.is_empty();
    if tls {
        let read = |key: &str, path: &str| {
            std::fs::read(path).map_err(|e| format!("grpc.{key}: cannot read {path}: {e}"))
        };
        let identity = tonic::transport::Identity::from_pem(
            read("tls_cert", &cfg.tls_cert)?,
            read("tls_key", &cfg.tls_key)?,
        );
        server = server
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
            .map_err(|e| format!("grpc.tls_cert: {e}"))?;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("grpc.listen: cannot bind {addr}: {e}"))?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let service = AcmServer::new(Service {
        state: state.clone(),
        max_in_flight: cfg.max_in_flight,
    })
    .max_decoding_message_size(cfg.max_message_bytes)
    .max_encoding_message_size(cfg.max_message_bytes);
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<AcmServer<Service>>().await;
    let mut closing = state.alerts.closing.subscribe();
    tracing::info!(%addr, tls, "acm serve: gRPC listening");
    let router = server.add_service(health_service).add_service(service);
    Ok(tokio::spawn(async move {
        let stop = async move {
            let _ = closing.wait_for(|c| *c).await;
            health.set_not_serving::<AcmServer<Service>>().await;
        };
        if let Err(e) = router.serve_with_incoming_shutdown(incoming, stop).await {
            tracing::error!("gRPC server: {e}");
        }
    }))
}
