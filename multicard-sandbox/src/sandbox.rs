//! A running sandbox ([`Sandbox`]): started on a listener, driven by tests
//! (faults, counters, the payer's actions, callbacks sent), stopped when
//! dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use multicard_api::{Config, Environment};
use serde_json::Value;

use crate::config::SandboxConfig;
use crate::faults::Fault;
use crate::payer;
use crate::router::router;
use crate::server::{self, Limits};
use crate::state::{Shared, lock};
use crate::world::World;
use crate::world::callbacks::Delivery;

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("url", &self.shared.base_url).finish()
    }
}

impl Sandbox {
    /// Starts a sandbox with default settings on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox with `config` on a free loopback port.
    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::serve(listener, config).await
    }

    /// Serves on `listener` (the binary uses this with a chosen port).
    /// Logs a warning when `listener` is not on a loopback address.
    pub async fn serve(listener: tokio::net::TcpListener, config: SandboxConfig) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "{}", exposure_warning(address));
        }
        let base_url = format!("http://{address}");
        let http = reqwest::Client::builder()
            .timeout(config.callback_timeout)
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let limits = Limits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
        };
        let connections = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(&base_url, config.max_tokens)),
            connections: connections.clone(),
            config,
            faults: Mutex::default(),
            counts: Mutex::default(),
            deliveries: Mutex::default(),
            http,
            base_url,
        });
        let app = router(shared.clone());
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, app, limits, connections, stopped));
        Ok(Self { shared, address, shutdown: Some(shutdown), task })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A client configuration for this sandbox (its URL and credentials).
    pub fn config(&self) -> Config {
        Config::new(
            &self.shared.config.application_id,
            &self.shared.config.secret,
            Environment::Custom(self.url().into()),
        )
    }

    /// The secret callbacks are signed with.
    pub fn secret(&self) -> &str {
        &self.shared.config.secret
    }

    /// Makes the next `times` requests to `operation` (an `operationId`)
    /// answer with `fault` instead.
    pub fn inject(&self, operation: &str, fault: Fault, times: usize) {
        let mut faults = lock(&self.shared.faults);
        faults.entry(operation.to_string()).or_default().extend(std::iter::repeat_n(fault, times));
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// How many requests `operation` received (faulted ones included).
    pub fn requests(&self, operation: &str) -> u64 {
        lock(&self.shared.counts).get(operation).copied().unwrap_or(0)
    }

    /// Requests received, by operation.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.counts).clone()
    }

    /// The connections open now (at most `max_connections`).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The tokens it keeps: issued and not yet dropped (expired tokens are
    /// dropped as new ones are issued).
    pub fn issued_tokens(&self) -> usize {
        lock(&self.shared.world).tokens.len()
    }

    /// Every callback sent so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.deliveries).clone()
    }

    /// Completes the hosted card-binding form of `session_id` with the
    /// test card, as a payer would, and sends the card-binding callback.
    pub fn complete_card_binding(&self, session_id: &str) -> Result<Value, String> {
        payer::complete_binding(&self.shared, session_id)
    }

    /// Pays invoice `uuid` with the test card on the checkout page, as a
    /// payer would, and sends the success callback.
    pub fn pay_invoice(&self, uuid: &str) -> Result<Value, String> {
        payer::pay_invoice(&self.shared, uuid)
    }

    /// Completes an app payment (`payment_system`) as the payer's app would.
    pub fn complete_app_payment(&self, uuid: &str) -> Result<Value, String> {
        payer::complete_app_payment(&self.shared, uuid)
    }

    /// Waits until at least `count` callbacks were sent, or `timeout` passes.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

/// The warning for a sandbox reachable from other hosts.
pub fn exposure_warning(address: SocketAddr) -> String {
    format!(
        "the Multicard sandbox listens on {address}, which is not a loopback address: anyone who can reach it can \
         use it with the published test credentials, and it sends callbacks (HTTP POST) to any URL a client gives \
         it, into the network it runs in; listen on 127.0.0.1 unless this network is isolated"
    )
}
