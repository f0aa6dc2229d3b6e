//! The suppliers' side of the demo: each supplier's order system (`daihuo_sim::supplier`, an
//! HTTP server on loopback that checks daihuo's signed webhooks) and its shipping desk
//! (`daihuo_sim::courier`), which ships what simulated buyers ordered with a waybill of the
//! supplier's carrier and reports the parcel's tracking over a few minutes. Some buyers
//! confirm receipt once their parcel is delivered.
//!
//! Orders the simulator did not place (the printed viewer's, anyone's in the browser) are
//! acknowledged but left for a person to ship as the supplier, so a human can try shipping
//! without a robot racing them to it.

use super::client::{code_of, Api};
use super::traffic::Placed;
use super::world::{Viewer, World};
use super::{service_error, Pace, DEMO_PASSWORD};
use daihuo_service::fulfilment::WebhookInput;
use daihuo_service::Services;
use daihuo_sim::courier::{run_desk, DeskConfig, Progress};
use daihuo_sim::supplier::{Mode, SupplierSystem};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// The most parcels one desk has in hand at once.
const PARCELS_MAX: usize = 5_000;
/// Share of delivered parcels whose buyer confirms receipt (the rest are confirmed
/// automatically days later, as on real platforms), in percent.
const CONFIRM_PERCENT: u32 = 40;
/// How long a buyer takes to confirm receipt after delivery, milliseconds.
const CONFIRM_AFTER_MS: (u64, u64) = (5_000, 60_000);
/// Receipts waiting to be confirmed at once; more are left to the automatic confirmation.
const RECEIPTS_WAITING_MAX: usize = 1_000;

/// The suppliers' running systems and desks.
pub struct Suppliers {
    /// Kept so their servers live as long as the demo.
    _systems: Vec<SupplierSystem>,
    /// The desks and the receipt confirmer; they end when the demo stops.
    pub tasks: Vec<JoinHandle<()>>,
}

/// Starts every supplier's order system, registers it as the supplier's webhook and starts
/// its desk. Only orders in `placed` are shipped.
pub async fn start(
    services: &Services,
    world: &World,
    api: &Api,
    pace: Pace,
    placed: Arc<Placed>,
    seed: u64,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Suppliers> {
    let (progress, delivered) = mpsc::unbounded_channel();
    let mut systems = Vec::with_capacity(world.suppliers.len());
    let mut tasks = Vec::with_capacity(world.suppliers.len() + 1);
    for (index, supplier) in world.suppliers.iter().enumerate() {
        let (system, events) = SupplierSystem::start(Mode::Up, false).await?;
        let hook = services
            .set_webhook(
                &supplier.actor,
                WebhookInput {
                    url: system.url().to_owned(),
                },
            )
            .await
            .map_err(service_error)?;
        system.set_secret(&hook.secret);
        let token = api.sign_in(supplier.username, DEMO_PASSWORD).await?;
        let config = DeskConfig {
            base_url: api.base.clone(),
            token,
            carrier: supplier.carrier.to_owned(),
            pack_ms: pace.pack_ms,
            leg_ms: pace.leg_ms,
            parcels_max: PARCELS_MAX,
            seed: seed ^ (index as u64 + 1),
        };
        let placed = placed.clone();
        let accept = move |received: &daihuo_sim::supplier::Received| {
            received.event["data"]["order_id"]
                .as_i64()
                .is_some_and(|order| placed.buyer_of(order).is_some())
        };
        tasks.push(tokio::spawn(run_desk(
            config,
            events,
            accept,
            progress.clone(),
            stop.clone(),
        )));
        systems.push(system);
    }
    drop(progress);
    tasks.push(tokio::spawn(confirm_receipts(
        api.clone(),
        placed,
        world.viewers.clone(),
        delivered,
        seed,
        stop,
    )));
    Ok(Suppliers {
        _systems: systems,
        tasks,
    })
}

/// Some buyers confirm receipt a little after their parcel arrives.
async fn confirm_receipts(
    api: Api,
    placed: Arc<Placed>,
    viewers: Arc<Vec<Viewer>>,
    mut delivered: mpsc::UnboundedReceiver<Progress>,
    seed: u64,
    mut stop: watch::Receiver<bool>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7ece_1975);
    let waiting = Arc::new(tokio::sync::Semaphore::new(RECEIPTS_WAITING_MAX));
    loop {
        let progress = tokio::select! {
            _ = stop.changed() => return,
            progress = delivered.recv() => progress,
        };
        let Some(progress) = progress else { return };
        let Progress::Delivered { order_id } = progress else {
            continue;
        };
        if rng.gen_range(0..100) >= CONFIRM_PERCENT {
            continue;
        }
        let Some(viewer) = placed.buyer_of(order_id).and_then(|v| viewers.get(v)) else {
            continue;
        };
        let Ok(permit) = waiting.clone().try_acquire_owned() else {
            continue;
        };
        let after = Duration::from_millis(rng.gen_range(CONFIRM_AFTER_MS.0..=CONFIRM_AFTER_MS.1));
        let (api, token, mut stop) = (api.clone(), viewer.token.clone(), stop.clone());
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(after) => {}
            }
            let path = format!("/api/orders/{order_id}/receipt");
            match api
                .post(&path, Some(&token), &serde_json::Value::Null)
                .await
            {
                Ok((200..=299, _)) => {}
                Ok((status, body)) => {
                    tracing::info!(order_id, code = %code_of(status, &body), "receipt not confirmed");
                }
                Err(error) => tracing::warn!(order_id, %error, "receipt request failed"),
            }
        });
    }
}
