//! A running sandbox ([`Sandbox`]): started on a listener, driven by tests
//! (its clock, faults, counters, the payer's actions, callbacks sent),
//! stopped when dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use multicard_api::time::MulticardDateTime;
use multicard_api::{Config, Environment};
use serde_json::Value;

use crate::config::SandboxConfig;
use crate::faults::{DeliveryFault, Fault};
use crate::pages::pending::PageState;
use crate::persist::{self, Keeper};
use crate::router::router;
use crate::server::{self, Limits};
use crate::state::{Shared, lock};
use crate::world::World;
use crate::world::callbacks::Delivery;
use crate::{delivery, payer, runner};

/// A running sandbox. Dropping it stops the server.
///
/// Its money moves as Multicard's does, on a clock the test controls: a
/// confirmed payment reads `progress`, then `billing` while its success
/// callback is out, and ends as the merchant's answer says. Nothing
/// scheduled happens until [`Sandbox::advance`] moves the clock on (unless
/// the sandbox runs on real time: [`SandboxConfig::real_time`]).
pub struct Sandbox {
    shared: Arc<Shared>,
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    clock: Option<tokio::task::JoinHandle<()>>,
    /// Writes the state file as the world changes.
    saver: Option<tokio::task::JoinHandle<()>>,
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
        // Bound to every address (`0.0.0.0`, `::`), its links name loopback:
        // a browser on this machine opens them, and the pages answer only a
        // loopback host.
        let linked = if address.ip().is_unspecified() {
            std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
        } else {
            address
        };
        let base_url = format!("http://{linked}");
        let http = delivery::client(config.callback_timeout).map_err(|e| std::io::Error::other(e.to_string()))?;
        let limits = Limits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
        };
        let connections = Arc::new(AtomicUsize::new(0));
        let keeper = Keeper::new(config.state_file.clone());
        let world = match &config.state_file {
            Some(path) => match persist::load(path, &base_url, &config)? {
                Some(world) => {
                    keeper.touch(); // written again soon: its links may have moved
                    world
                }
                None => {
                    let world = World::new(&base_url, &config);
                    keeper.write_now(&world)?;
                    world
                }
            },
            None => World::new(&base_url, &config),
        };
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            connections: connections.clone(),
            config,
            faults: Mutex::default(),
            counts: Mutex::default(),
            http,
            base_url,
            turn: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
            pages: PageState::new(),
            keeper,
        });
        let app = router(shared.clone());
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, app, limits, connections, stopped));
        let clock = shared.config.real_time.then(|| tokio::spawn(runner::keep_time(shared.clone())));
        let saver = shared.keeper.keeps().then(|| tokio::spawn(keep_file(shared.clone())));
        Ok(Self { shared, address, shutdown: Some(shutdown), task, clock, saver })
    }

    /// Writes the state file now if anything changed since it was last
    /// written (with [`SandboxConfig::with_state_file`]; otherwise does
    /// nothing). The sandbox also writes it within a second of each change
    /// and when it stops.
    pub async fn save(&self) -> std::io::Result<()> {
        self.shared.keeper.save(&self.shared.world).await.map_err(std::io::Error::from)
    }

    /// Why the last write of the state file failed, if it did (the sandbox
    /// keeps trying, within a second of each change).
    pub fn state_file_problem(&self) -> Option<String> {
        self.shared.keeper.problem()
    }

    /// Serves until the process is asked to stop (Ctrl-C, or SIGTERM where
    /// there is one), checking the state file once a second: `report` is
    /// called with its problem whenever that changes (`None`: it is written
    /// again). How the `multicard-sandbox` binary and `multicard sandbox
    /// start` run; save and stop it afterwards.
    pub async fn serve_until_stopped(&self, mut report: impl FnMut(Option<&str>)) {
        let mut reported = None;
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = stop_signal() => return,
                _ = every_second.tick() => {
                    let problem = self.state_file_problem();
                    if problem != reported {
                        report(problem.as_deref());
                        reported = problem;
                    }
                }
            }
        }
    }

    /// Moves the sandbox's clock on by `by`, and returns once every event
    /// due until then ran, in order, each at its own time: debits that end,
    /// callbacks sent (real HTTP posts, their answers awaited) and sent
    /// again, frozen payments reverted, holds released, writes a fault held
    /// back. Invoices and tokens run out by the same clock.
    /// `advance(Duration::ZERO)` runs what is due now (a callback just
    /// scheduled).
    pub async fn advance(&self, by: Duration) {
        runner::advance(&self.shared, by).await;
    }

    /// The sandbox's time now, as it writes it (its clock offset included).
    pub fn now(&self) -> MulticardDateTime {
        lock(&self.shared.world).clock.date()
    }

    /// How many events are scheduled (callbacks to send or send again,
    /// debits to end, holds to release, writes held back).
    pub fn scheduled(&self) -> usize {
        lock(&self.shared.world).schedule.len()
    }

    /// Makes the next `times` callbacks sent meet `fault`.
    pub fn inject_delivery(&self, fault: DeliveryFault, times: usize) {
        lock(&self.shared.world).delivery_faults.extend(std::iter::repeat_n(fault, times));
    }

    /// From now on, reads (`get_payment`, `get_payout`, `get_hold`) show
    /// what was there `lag` before (see [`SandboxConfig::stale_reads`]);
    /// zero turns it off.
    pub fn set_stale_reads(&self, lag: Duration) {
        lock(&self.shared.world).set_stale_reads(lag);
    }

    /// From now on, registry rows appear `lag` after their payment was made
    /// (see [`SandboxConfig::registry_lag`]).
    pub fn set_registry_lag(&self, lag: Duration) {
        lock(&self.shared.world).replica.registry_lag = lag;
    }

    /// From now on, the times the sandbox writes are `offset` from its own
    /// clock (see [`SandboxConfig::clock_offset`]).
    pub fn set_clock_offset(&self, offset: TimeDelta) {
        lock(&self.shared.world).clock.set_offset(offset);
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

    /// The callbacks sent so far, oldest first (at most
    /// [`SandboxConfig::max_deliveries`], the latest).
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.world).deliveries.all()
    }

    /// Completes the hosted card-binding form of `session_id` with the
    /// test card, as a payer would; the card-binding callback goes out when
    /// due (now: [`Sandbox::advance`] with zero sends it).
    pub fn complete_card_binding(&self, session_id: &str) -> Result<Value, String> {
        payer::complete_binding(&self.shared, session_id)
    }

    /// Pays invoice `uuid` with the test card on the checkout page, as a
    /// payer would; returns the payment as it is then (`billing`, its
    /// success callback due; or `progress` with a `debit_delay`).
    pub fn pay_invoice(&self, uuid: &str) -> Result<Value, String> {
        payer::pay_invoice(&self.shared, uuid)
    }

    /// The uuids of the invoices created with the merchant's `invoice_id`,
    /// oldest first: what a payer reaches through the link Multicard sent
    /// them (`sms`) although the merchant's `create_invoice` lost its
    /// answer. For tests of a lost create; the API has no such listing.
    pub fn invoices_with_id(&self, invoice_id: &str) -> Vec<String> {
        let world = lock(&self.shared.world);
        let mut found: Vec<(String, String)> = world
            .invoices
            .iter()
            .filter(|(_, invoice)| invoice.model["invoice_id"].as_str() == Some(invoice_id))
            .map(|(uuid, invoice)| (invoice.model["added_on"].as_str().unwrap_or_default().to_string(), uuid.clone()))
            .collect();
        found.sort();
        found.into_iter().map(|(_, uuid)| uuid).collect()
    }

    /// Completes an app payment (`payment_system`) as the payer's app
    /// would; returns the payment as it is then.
    pub fn complete_app_payment(&self, uuid: &str) -> Result<Value, String> {
        payer::complete_app_payment(&self.shared, uuid)
    }

    /// Runs what is due now, then waits until at least `count` callbacks
    /// were sent in all, or `timeout` passes (in real time); returns those
    /// kept. It never moves the clock: a callback sent again later needs
    /// [`Sandbox::advance`].
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.advance(Duration::ZERO).await;
            let sent = lock(&self.shared.world).deliveries.total;
            if sent >= count || tokio::time::Instant::now() >= deadline {
                return self.deliveries();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server and waits for it to end; then writes the state
    /// file, if there is one and anything changed (call
    /// [`Sandbox::save`] first to learn whether that write succeeds).
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
        let _ = self.shared.keeper.save(&self.shared.world).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
        if let Some(clock) = &self.clock {
            clock.abort();
        }
        if let Some(saver) = self.saver.take() {
            saver.abort();
            self.shared.keeper.save_blocking(&self.shared.world);
        }
    }
}

/// Writes the state file within a second of each change, until aborted.
async fn keep_file(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = shared.keeper.save(&shared.world).await;
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

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM where
/// there is one.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
