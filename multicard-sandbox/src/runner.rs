//! Running what the sandbox scheduled, in order, as its clock moves:
//! [`advance`] moves the clock on and runs every event due up to the new
//! time before it returns (callbacks are real HTTP posts, awaited there);
//! on a real-time clock, [`keep_time`] runs events as they fall due.

use std::time::Duration;

use crate::delivery;
use crate::faults::DeliveryFault;
use crate::state::{App, lock};
use crate::world::callbacks::{Answered, Outgoing};
use crate::world::schedule::Event;

/// How long the real-time task sleeps when nothing is scheduled (it wakes
/// sooner when something is).
const IDLE: Duration = Duration::from_secs(3600);

/// Moves the sandbox's clock on by `by`, running every event due until
/// then in order (each at its own time), and returns once they all ran.
pub(crate) async fn advance(app: &App, by: Duration) {
    let _turn = app.turn.lock().await;
    let until = lock(&app.world).now().saturating_add(by);
    if !by.is_zero() {
        app.keeper.touch();
    }
    loop {
        let event = {
            let mut world = lock(&app.world);
            match world.schedule.take_due(until) {
                Some((at, event)) => {
                    world.clock.move_to(at);
                    Some(event)
                }
                None => {
                    world.clock.move_to(until);
                    None
                }
            }
        };
        let Some(event) = event else { break };
        run(app, event).await;
        lock(&app.world).record_for_reads();
        app.keeper.touch();
    }
}

/// Runs one event.
async fn run(app: &App, event: Event) {
    let config = &app.config;
    match event {
        Event::Debit { payment, outcome } => lock(&app.world).end_debit(&payment, outcome, config),
        Event::RevertFrozen { payment } => lock(&app.world).revert_frozen(&payment, config),
        Event::HoldExpires { id } => lock(&app.world).hold_expires(id, config),
        Event::Apply(deferred) => deferred().await,
        Event::Deliver { message, attempt } => {
            if lock(&app.world).still_wanted(&message) {
                deliver(app, message, attempt, true).await;
            }
        }
    }
}

/// Sends `message` (attempt `attempt`) and acts on its answer by the
/// vendor's rules (`scheduled`: an attempt of the vendor's schedule, which
/// may schedule the next); the next delivery fault, if any, applies to it.
async fn deliver(app: &App, message: Outgoing, attempt: u32, scheduled: bool) {
    let config = &app.config;
    let fault = lock(&app.world).delivery_faults.pop_front();
    let started = std::time::Instant::now();
    let mut exchange = delivery::exchange(&app.http, &message, config.max_callback_answer).await;
    if fault == Some(DeliveryFault::TimedOut) {
        exchange = crate::world::callbacks::Exchange { answered: Answered::TimedOut, shown: None };
    }
    lock(&app.world).delivered(message, attempt, exchange, started.elapsed(), config, scheduled);
}

/// Sends `message` again now, as attempt `attempt`, whether or not its
/// payment still waits for it (the dashboard's "send again": a merchant
/// tries its handling of a repeat); an answer to a payment that already
/// ended is recorded as changing nothing. It is sent once: whatever its
/// answer, it schedules no further attempts (those the vendor's schedule
/// already has still go out).
pub(crate) async fn send_again(app: &App, message: Outgoing, attempt: u32) {
    let _turn = app.turn.lock().await;
    deliver(app, message, attempt, false).await;
    lock(&app.world).record_for_reads();
    app.keeper.touch();
}

/// On a real-time clock: runs events as they fall due, until the task is
/// aborted.
pub(crate) async fn keep_time(app: App) {
    loop {
        let wait = {
            let world = lock(&app.world);
            world.schedule.next_due().map_or(IDLE, |due| due.saturating_sub(world.now()))
        };
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = app.wake.notified() => continue,
            }
        }
        advance(&app, Duration::ZERO).await;
    }
}
