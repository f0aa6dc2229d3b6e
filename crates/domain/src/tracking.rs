//! A parcel's tracking timeline, built from carrier events that arrive late, twice or out of
//! order.
//!
//! A [`Timeline`] is a set of events keyed by the carrier's event id, always shown sorted by
//! the carrier's timestamp. Everything it shows is derived from that set alone, never from
//! the order events arrived in, so every node and every replay shows the buyer the same
//! timeline.
//!
//! The current state's rule ([`TrackingStatus`]):
//! - `reached` is the furthest stage any event reached, in the order picked < shipped <
//!   in transit < out for delivery < delivered, whatever the timestamps say: a late
//!   `in_transit` never moves a delivered parcel back, because carriers' clocks and feeds
//!   lag, but a parcel does not travel backwards;
//! - `exception_open` is true when the last event on the timeline is an exception and the
//!   parcel is not delivered. An exception after delivery (a damaged-parcel report, say) is
//!   shown on the timeline but does not undo the delivery; the buyer's recourse is after-sales.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most events one parcel's timeline holds. Real parcels have a few dozen; more is a
/// carrier feed in a loop, and the cap keeps one parcel from growing without bound.
pub const TIMELINE_EVENTS_MAX: usize = 200;
/// The longest carrier event id, in bytes.
pub const TRACKING_EVENT_ID_MAX_BYTES: usize = 64;
/// The longest event description, in characters (carriers write a line such as
/// "快件已到达【杭州转运中心】").
pub const TRACKING_DETAIL_MAX_CHARS: usize = 200;

/// Why a tracking event was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingError {
    /// The event id was empty, too long or not printable ASCII.
    #[error("event id must be 1 to 64 printable ASCII characters")]
    InvalidEventId,
    /// The description was too long.
    #[error("event detail must be at most 200 characters")]
    DetailTooLong,
    /// The carrier's timestamp was before 1970.
    #[error("event time must not be negative")]
    InvalidTime,
    /// The stage name is not one daihuo knows.
    #[error("unknown tracking stage {0:?}")]
    UnknownStage(String),
    /// The timeline already holds the most events it may.
    #[error("a parcel's timeline holds at most 200 events")]
    TimelineFull,
}

impl TrackingError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            TrackingError::InvalidEventId => "invalid_tracking_event_id",
            TrackingError::DetailTooLong => "tracking_detail_too_long",
            TrackingError::InvalidTime => "invalid_tracking_time",
            TrackingError::UnknownStage(_) => "unknown_tracking_stage",
            TrackingError::TimelineFull => "tracking_timeline_full",
        }
    }
}

/// What a tracking event says happened. The derived order is the parcel's progress, with
/// `Exception` outside it (see [`TrackingStage::progress`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStage {
    /// The carrier collected the parcel from the warehouse.
    Picked,
    /// The parcel left the origin facility.
    Shipped,
    /// Between facilities.
    InTransit,
    /// With the courier for the last mile.
    OutForDelivery,
    /// Handed to the buyer or a pick-up point.
    Delivered,
    /// Something went wrong: delayed, damaged, refused, address problem.
    Exception,
}

impl TrackingStage {
    /// Every stage.
    pub const ALL: [TrackingStage; 6] = [
        TrackingStage::Picked,
        TrackingStage::Shipped,
        TrackingStage::InTransit,
        TrackingStage::OutForDelivery,
        TrackingStage::Delivered,
        TrackingStage::Exception,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingStage::Picked => "picked",
            TrackingStage::Shipped => "shipped",
            TrackingStage::InTransit => "in_transit",
            TrackingStage::OutForDelivery => "out_for_delivery",
            TrackingStage::Delivered => "delivered",
            TrackingStage::Exception => "exception",
        }
    }

    /// Reads a name.
    pub fn parse(raw: &str) -> Result<TrackingStage, TrackingError> {
        TrackingStage::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| TrackingError::UnknownStage(raw.chars().take(32).collect()))
    }

    /// How far along the parcel is, 1 (picked) to 5 (delivered); `None` for an exception,
    /// which says nothing about progress.
    pub fn progress(self) -> Option<u8> {
        match self {
            TrackingStage::Picked => Some(1),
            TrackingStage::Shipped => Some(2),
            TrackingStage::InTransit => Some(3),
            TrackingStage::OutForDelivery => Some(4),
            TrackingStage::Delivered => Some(5),
            TrackingStage::Exception => None,
        }
    }
}

/// A carrier's id for one event: the key that makes a repeated event harmless.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct TrackingEventId(String);

impl TrackingEventId {
    /// Checks length and that every byte is printable ASCII.
    pub fn parse(raw: &str) -> Result<TrackingEventId, TrackingError> {
        let ok = !raw.is_empty()
            && raw.len() <= TRACKING_EVENT_ID_MAX_BYTES
            && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(TrackingEventId(raw.to_owned()))
        } else {
            Err(TrackingError::InvalidEventId)
        }
    }

    /// The id as the carrier sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One checked tracking event.
///
/// Events sort by the carrier's time, then stage, then id, then detail: a total order, so
/// two events at the same millisecond always show the same way round.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
pub struct TrackingEvent {
    /// The carrier's timestamp, milliseconds since 1970 (UTC).
    at_ms: i64,
    /// What happened.
    stage: TrackingStage,
    /// The carrier's event id.
    id: TrackingEventId,
    /// The carrier's description, for the buyer; may be empty.
    detail: String,
}

impl TrackingEvent {
    /// Checks the time and the description's length.
    pub fn new(
        id: TrackingEventId,
        stage: TrackingStage,
        at_ms: i64,
        detail: &str,
    ) -> Result<TrackingEvent, TrackingError> {
        if at_ms < 0 {
            return Err(TrackingError::InvalidTime);
        }
        let detail = detail.trim();
        if detail.chars().count() > TRACKING_DETAIL_MAX_CHARS {
            return Err(TrackingError::DetailTooLong);
        }
        Ok(TrackingEvent {
            at_ms,
            stage,
            id,
            detail: detail.to_owned(),
        })
    }

    /// The carrier's event id.
    pub fn id(&self) -> &TrackingEventId {
        &self.id
    }

    /// What happened.
    pub fn stage(&self) -> TrackingStage {
        self.stage
    }

    /// The carrier's timestamp.
    pub fn at_ms(&self) -> i64 {
        self.at_ms
    }

    /// The carrier's description.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// What accepting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accepted {
    /// A new event: the timeline changed.
    Added,
    /// The same event again: nothing changed.
    Duplicate,
    /// The same id with other content. The timeline keeps the one further along, or on a
    /// tie the one that sorts first, so the result still does not depend on arrival order;
    /// the caller logs it.
    Conflict {
        /// Whether the incoming event replaced the one held.
        replaced: bool,
    },
}

/// Where a parcel is, derived from its whole timeline (see the module's rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrackingStatus {
    /// The furthest stage reached; never `Exception`; `None` before any progress event.
    pub reached: Option<TrackingStage>,
    /// An exception is the latest news and the parcel is not delivered.
    pub exception_open: bool,
}

/// Which of two events with the same id a timeline keeps: the one further along (an
/// exception counts as least), then the one that sorts first. This is a maximum under a
/// total order, so the survivor does not depend on arrival order, and since a replacement is
/// never less far along, the stage reached never goes back.
fn precedence(event: &TrackingEvent) -> (Option<u8>, std::cmp::Reverse<&TrackingEvent>) {
    (event.stage.progress(), std::cmp::Reverse(event))
}

/// One parcel's events, sorted, at most one per event id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Sorted by [`TrackingEvent`]'s order; ids unique.
    events: Vec<TrackingEvent>,
}

impl Timeline {
    /// A parcel with no events yet.
    pub fn new() -> Timeline {
        Timeline::default()
    }

    /// Accepts an event, in any order and any number of times.
    pub fn accept(&mut self, event: TrackingEvent) -> Result<Accepted, TrackingError> {
        if let Some(index) = self.events.iter().position(|e| e.id == event.id) {
            if self.events[index] == event {
                return Ok(Accepted::Duplicate);
            }
            let replaced = precedence(&event) > precedence(&self.events[index]);
            if replaced {
                self.events.remove(index);
                self.insert_sorted(event);
            }
            return Ok(Accepted::Conflict { replaced });
        }
        if self.events.len() >= TIMELINE_EVENTS_MAX {
            return Err(TrackingError::TimelineFull);
        }
        self.insert_sorted(event);
        Ok(Accepted::Added)
    }

    /// Inserts keeping the order.
    fn insert_sorted(&mut self, event: TrackingEvent) {
        let at = self.events.partition_point(|e| *e < event);
        self.events.insert(at, event);
    }

    /// The events, sorted by the carrier's time.
    pub fn events(&self) -> &[TrackingEvent] {
        &self.events
    }

    /// Where the parcel is.
    pub fn status(&self) -> TrackingStatus {
        let reached = self
            .events
            .iter()
            .filter(|e| e.stage.progress().is_some())
            .max_by_key(|e| e.stage.progress())
            .map(|e| e.stage);
        let delivered = reached == Some(TrackingStage::Delivered);
        let last_is_exception = self
            .events
            .last()
            .is_some_and(|e| e.stage == TrackingStage::Exception);
        TrackingStatus {
            reached,
            exception_open: last_is_exception && !delivered,
        }
    }

    /// When the parcel was first reported delivered: the start of the no-reason return
    /// window and of automatic receipt.
    pub fn delivered_at_ms(&self) -> Option<i64> {
        self.events
            .iter()
            .find(|e| e.stage == TrackingStage::Delivered)
            .map(|e| e.at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(id: &str, stage: TrackingStage, at_ms: i64) -> TrackingEvent {
        TrackingEvent::new(TrackingEventId::parse(id).expect("id"), stage, at_ms, "")
            .expect("event")
    }

    #[test]
    fn input_is_checked() {
        assert!(TrackingEventId::parse("").is_err());
        assert!(TrackingEventId::parse("a b").is_err());
        assert!(TrackingEventId::parse(&"e".repeat(65)).is_err());
        let id = TrackingEventId::parse("e1").expect("id");
        assert_eq!(
            TrackingEvent::new(id.clone(), TrackingStage::Picked, -1, "").map_err(|e| e.code()),
            Err("invalid_tracking_time")
        );
        assert_eq!(
            TrackingEvent::new(id, TrackingStage::Picked, 0, &"快".repeat(201))
                .map_err(|e| e.code()),
            Err("tracking_detail_too_long")
        );
        for stage in TrackingStage::ALL {
            assert_eq!(TrackingStage::parse(stage.as_str()), Ok(stage));
        }
        assert_eq!(
            TrackingStage::parse("lost").map_err(|e| e.code()),
            Err("unknown_tracking_stage")
        );
    }

    #[test]
    fn delivered_stays_delivered() {
        let mut timeline = Timeline::new();
        timeline
            .accept(event("d", TrackingStage::Delivered, 300))
            .expect("accept");
        timeline
            .accept(event("t", TrackingStage::InTransit, 400))
            .expect("accept");
        timeline
            .accept(event("x", TrackingStage::Exception, 500))
            .expect("accept");
        let status = timeline.status();
        assert_eq!(status.reached, Some(TrackingStage::Delivered));
        assert!(!status.exception_open);
        assert_eq!(timeline.events().len(), 3);
        assert_eq!(timeline.delivered_at_ms(), Some(300));
    }

    #[test]
    fn an_exception_is_open_until_news_of_progress() {
        let mut timeline = Timeline::new();
        timeline
            .accept(event("s", TrackingStage::Shipped, 100))
            .expect("accept");
        timeline
            .accept(event("x", TrackingStage::Exception, 200))
            .expect("accept");
        assert!(timeline.status().exception_open);
        assert_eq!(timeline.status().reached, Some(TrackingStage::Shipped));
        timeline
            .accept(event("t", TrackingStage::InTransit, 300))
            .expect("accept");
        assert!(!timeline.status().exception_open);
    }

    #[test]
    fn duplicates_and_conflicts() {
        let mut timeline = Timeline::new();
        let first = event("e", TrackingStage::InTransit, 200);
        assert_eq!(timeline.accept(first.clone()), Ok(Accepted::Added));
        assert_eq!(timeline.accept(first.clone()), Ok(Accepted::Duplicate));
        let later = event("e", TrackingStage::InTransit, 250);
        assert_eq!(
            timeline.accept(later),
            Ok(Accepted::Conflict { replaced: false })
        );
        let earlier = event("e", TrackingStage::InTransit, 150);
        assert_eq!(
            timeline.accept(earlier.clone()),
            Ok(Accepted::Conflict { replaced: true })
        );
        assert_eq!(timeline.events(), &[earlier]);
        // A rewrite of the same id never takes the parcel back.
        let delivered = event("e", TrackingStage::Delivered, 900);
        assert_eq!(
            timeline.accept(delivered.clone()),
            Ok(Accepted::Conflict { replaced: true })
        );
        assert_eq!(
            timeline.accept(event("e", TrackingStage::Exception, 100)),
            Ok(Accepted::Conflict { replaced: false })
        );
        assert_eq!(timeline.events(), &[delivered]);
    }

    #[test]
    fn the_timeline_is_bounded() {
        let mut timeline = Timeline::new();
        for i in 0..TIMELINE_EVENTS_MAX {
            let id = format!("e{i}");
            timeline
                .accept(event(&id, TrackingStage::InTransit, 1_000 + i as i64))
                .expect("accept");
        }
        assert_eq!(
            timeline
                .accept(event("one-more", TrackingStage::Delivered, 9_999))
                .map_err(|e| e.code()),
            Err("tracking_timeline_full")
        );
        // A replay of a held event is still answered.
        assert_eq!(
            timeline.accept(event("e0", TrackingStage::InTransit, 1_000)),
            Ok(Accepted::Duplicate)
        );
    }

    /// A set of events with distinct ids; a few share a timestamp, and some ids come twice
    /// with different content.
    fn events() -> impl Strategy<Value = Vec<TrackingEvent>> {
        prop::collection::vec(
            (
                0u8..12,
                prop::sample::select(TrackingStage::ALL.to_vec()),
                0i64..20,
            ),
            1..16,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .map(|(id, stage, at)| event(&format!("e{id}"), stage, at * 1_000))
                .collect()
        })
    }

    proptest! {
        /// Any arrival order of the same events, with any of them repeated, gives the same
        /// timeline and the same status; and as events arrive, the stage reached never goes
        /// back.
        #[test]
        fn arrival_order_does_not_matter(
            (events, order) in events().prop_flat_map(|events| {
                let n = events.len();
                // Each event at least once, some more often, in any order.
                let indices = (0..n).collect::<Vec<_>>();
                let extra = prop::collection::vec(0..n, 0..8);
                (Just(events), (Just(indices), extra).prop_flat_map(|(mut all, extra)| {
                    all.extend(extra);
                    Just(all).prop_shuffle()
                }))
            })
        ) {
            let mut in_order = Timeline::new();
            for event in &events {
                in_order.accept(event.clone()).expect("accept");
            }
            let mut shuffled = Timeline::new();
            let mut reached_before = None;
            for index in order {
                shuffled.accept(events[index].clone()).expect("accept");
                let reached = shuffled.status().reached;
                prop_assert!(reached.map(TrackingStage::progress) >= reached_before.map(TrackingStage::progress));
                reached_before = reached;
            }
            prop_assert_eq!(&shuffled, &in_order);
            prop_assert_eq!(shuffled.status(), in_order.status());
            prop_assert!(shuffled.events().windows(2).all(|w| w[0] < w[1]));
            let mut ids: Vec<_> = shuffled.events().iter().map(|e| e.id().clone()).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), shuffled.events().len());
        }
    }
}
