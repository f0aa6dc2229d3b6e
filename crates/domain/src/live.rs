//! Live sessions' rules: the session's life (scheduled → live → ended), its title, its
//! playback URL, when it may start, the live price rule and how long a mute lasts. Each parse
//! function is the one place its input is checked; times come in as arguments because this
//! crate has no clock.

use crate::money::Fen;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest session title, in characters: it has to fit a card in a phone's feed.
pub const SESSION_TITLE_MAX_CHARS: usize = 60;
/// The longest playback URL, in bytes: signed media-server URLs are long, but not unbounded.
pub const PLAYBACK_URL_MAX_BYTES: usize = 2_048;
/// How far ahead a session may be scheduled: further out, plans change and the list of
/// upcoming sessions fills with guesses.
pub const SCHEDULE_AHEAD_MAX_MS: i64 = 30 * 24 * 3_600 * 1_000;
/// The shortest mute: anything shorter is over before the anchor has moved on.
pub const MUTE_MIN_MS: i64 = 60 * 1_000;
/// The longest timed mute; longer than this is a ban, which is not a room's decision.
pub const MUTE_MAX_MS: i64 = 30 * 24 * 3_600 * 1_000;
/// The longest campaign name, in characters.
pub const CAMPAIGN_NAME_MAX_CHARS: usize = 60;
/// The longest a campaign may run: platform campaigns are days or weeks, not seasons.
pub const CAMPAIGN_LENGTH_MAX_MS: i64 = 90 * 24 * 3_600 * 1_000;

/// Why live-session input was refused. Each variant has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// The title was empty or too long after trimming.
    #[error("title must be 1 to 60 characters")]
    InvalidTitle,
    /// The playback URL was not an http(s) URL with a host, held spaces, or was too long.
    #[error("playback URL must be an http(s) URL of at most 2048 bytes")]
    InvalidPlaybackUrl,
    /// The start time was not in the future.
    #[error("the start time must be in the future")]
    StartInPast,
    /// The start time was more than 30 days ahead.
    #[error("a session may be scheduled at most 30 days ahead")]
    StartTooFar,
    /// A live price was below the SKU's floor price.
    #[error("live price {price} is below the floor price {floor}")]
    LivePriceBelowFloor {
        /// Requested live price.
        price: Fen,
        /// The SKU's floor price.
        floor: Fen,
    },
    /// A live price was above the SKU's pool price.
    #[error("live price {price} is above the pool price {pool}")]
    LivePriceAbovePool {
        /// Requested live price.
        price: Fen,
        /// The SKU's pool price.
        pool: Fen,
    },
    /// A mute was shorter than a minute or longer than 30 days.
    #[error("a mute lasts 60 seconds to 30 days, or until the session ends")]
    InvalidMuteDuration,
    /// The campaign name was empty or too long after trimming.
    #[error("campaign name must be 1 to 60 characters")]
    InvalidCampaignName,
    /// The campaign did not end after it started, or ran longer than 90 days.
    #[error("a campaign must end after it starts and last at most 90 days")]
    InvalidCampaignWindow,
}

impl LiveError {
    /// The stable snake_case code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            LiveError::InvalidTitle => "invalid_title",
            LiveError::InvalidPlaybackUrl => "invalid_playback_url",
            LiveError::StartInPast => "start_in_past",
            LiveError::StartTooFar => "start_too_far",
            LiveError::LivePriceBelowFloor { .. } => "live_price_below_floor",
            LiveError::LivePriceAbovePool { .. } => "live_price_above_pool",
            LiveError::InvalidMuteDuration => "invalid_mute_duration",
            LiveError::InvalidCampaignName => "invalid_campaign_name",
            LiveError::InvalidCampaignWindow => "invalid_campaign_window",
        }
    }
}

/// Where a live session is in its life. It only moves forward: scheduled → live → ended, or
/// scheduled → ended when it is called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Announced with a start time; not broadcasting yet.
    Scheduled,
    /// Broadcasting now.
    Live,
    /// Over (or called off before it began). Nothing changes any more.
    Ended,
}

/// A session change that its status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session that is {} cannot be {action}", from.as_str())]
pub struct SessionTransitionError {
    /// Status before.
    pub from: SessionStatus,
    /// What was attempted, in words ("taken live", "ended", "edited"…).
    pub action: &'static str,
}

impl SessionTransitionError {
    /// The stable snake_case code: what stands in the way.
    pub fn code(&self) -> &'static str {
        match self.from {
            SessionStatus::Scheduled => "session_not_live",
            SessionStatus::Live => "session_already_live",
            SessionStatus::Ended => "session_ended",
        }
    }
}

impl SessionStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Scheduled => "scheduled",
            SessionStatus::Live => "live",
            SessionStatus::Ended => "ended",
        }
    }

    /// Reads a stored name.
    pub fn from_db(raw: &str) -> Option<SessionStatus> {
        Some(match raw {
            "scheduled" => SessionStatus::Scheduled,
            "live" => SessionStatus::Live,
            "ended" => SessionStatus::Ended,
            _ => return None,
        })
    }

    /// The anchor starts broadcasting: only a scheduled session may go live, and only once.
    pub fn go_live(self) -> Result<SessionStatus, SessionTransitionError> {
        match self {
            SessionStatus::Scheduled => Ok(SessionStatus::Live),
            _ => Err(self.refuse("taken live")),
        }
    }

    /// The session ends, or a scheduled one is called off. An ended session stays ended.
    pub fn end(self) -> Result<SessionStatus, SessionTransitionError> {
        match self {
            SessionStatus::Scheduled | SessionStatus::Live => Ok(SessionStatus::Ended),
            SessionStatus::Ended => Err(self.refuse("ended")),
        }
    }

    /// Title, start time, campaign and playback URL may change only before the session
    /// starts: viewers who planned around them must not be surprised mid-stream.
    pub fn check_editable(self) -> Result<(), SessionTransitionError> {
        match self {
            SessionStatus::Scheduled => Ok(()),
            _ => Err(self.refuse("edited")),
        }
    }

    /// The products on sale and the pinned product may change before and during the
    /// session, never after it.
    pub fn check_shelf_changeable(self) -> Result<(), SessionTransitionError> {
        match self {
            SessionStatus::Scheduled | SessionStatus::Live => Ok(()),
            SessionStatus::Ended => Err(self.refuse("changed")),
        }
    }

    fn refuse(self, action: &'static str) -> SessionTransitionError {
        SessionTransitionError { from: self, action }
    }
}

/// A session's title: trimmed, 1 to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct SessionTitle(String);

impl SessionTitle {
    /// Trims and checks the length.
    pub fn parse(raw: &str) -> Result<SessionTitle, LiveError> {
        let trimmed = raw.trim();
        if (1..=SESSION_TITLE_MAX_CHARS).contains(&trimmed.chars().count()) {
            Ok(SessionTitle(trimmed.to_owned()))
        } else {
            Err(LiveError::InvalidTitle)
        }
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where viewers fetch the video: an HLS playlist or a WebRTC (WHEP) endpoint on an existing
/// media server. daihuo never reads it; it only hands it to players, so it must be a plain
/// http(s) URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PlaybackUrl(String);

impl PlaybackUrl {
    /// Checks scheme, host, length and that nothing in it is whitespace or a control
    /// character (which players and logs treat differently).
    pub fn parse(raw: &str) -> Result<PlaybackUrl, LiveError> {
        let raw = raw.trim();
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"));
        let host = rest
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
            .unwrap_or("");
        let valid = raw.len() <= PLAYBACK_URL_MAX_BYTES
            && !host.is_empty()
            && !host.starts_with(':')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(PlaybackUrl(raw.to_owned()))
        } else {
            Err(LiveError::InvalidPlaybackUrl)
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a scheduled start: after `now_ms` and at most 30 days ahead of it.
pub fn check_start(starts_at_ms: i64, now_ms: i64) -> Result<i64, LiveError> {
    if starts_at_ms <= now_ms {
        return Err(LiveError::StartInPast);
    }
    if starts_at_ms - now_ms > SCHEDULE_AHEAD_MAX_MS {
        return Err(LiveError::StartTooFar);
    }
    Ok(starts_at_ms)
}

/// The price of a SKU in one session. The rule that keeps the pool's price standard: an
/// anchor may go down to the SKU's floor price but never above its pool price, so a viewer
/// never pays more in a room than the price every anchor offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct LivePrice(Fen);

impl LivePrice {
    /// Checks `floor ≤ price ≤ pool`, the floor first. The floor and pool come from the
    /// SKU's checked pricing (`SkuPricing`: `supply < floor ≤ pool`), so an accepted live
    /// price is always positive and above supply.
    pub fn parse(price_fen: i64, floor: Fen, pool: Fen) -> Result<LivePrice, LiveError> {
        let price = Fen(price_fen);
        if price < floor {
            return Err(LiveError::LivePriceBelowFloor { price, floor });
        }
        if price > pool {
            return Err(LiveError::LivePriceAbovePool { price, pool });
        }
        Ok(LivePrice(price))
    }

    /// The price in fen.
    pub fn fen(self) -> Fen {
        self.0
    }
}

/// How long a viewer stays muted in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteLength {
    /// For this many milliseconds (one minute to 30 days).
    For(i64),
    /// For the rest of the session: a mute never outlives its room.
    UntilSessionEnds,
}

impl MuteLength {
    /// Reads a duration in seconds; `None` means until the session ends.
    pub fn parse(duration_s: Option<i64>) -> Result<MuteLength, LiveError> {
        let Some(seconds) = duration_s else {
            return Ok(MuteLength::UntilSessionEnds);
        };
        let millis = seconds
            .checked_mul(1_000)
            .ok_or(LiveError::InvalidMuteDuration)?;
        if (MUTE_MIN_MS..=MUTE_MAX_MS).contains(&millis) {
            Ok(MuteLength::For(millis))
        } else {
            Err(LiveError::InvalidMuteDuration)
        }
    }

    /// When a mute that starts at `now_ms` ends; `None` when it lasts as long as the session.
    pub fn until_ms(self, now_ms: i64) -> Option<i64> {
        match self {
            MuteLength::For(millis) => Some(now_ms.saturating_add(millis)),
            MuteLength::UntilSessionEnds => None,
        }
    }
}

/// A campaign's name: trimmed, 1 to 60 characters.
pub fn check_campaign_name(raw: &str) -> Result<String, LiveError> {
    let trimmed = raw.trim();
    if (1..=CAMPAIGN_NAME_MAX_CHARS).contains(&trimmed.chars().count()) {
        Ok(trimmed.to_owned())
    } else {
        Err(LiveError::InvalidCampaignName)
    }
}

/// A campaign's window: it ends after it starts and runs at most 90 days.
pub fn check_campaign_window(starts_at_ms: i64, ends_at_ms: i64) -> Result<(), LiveError> {
    let length = ends_at_ms.checked_sub(starts_at_ms);
    match length {
        Some(length) if length > 0 && length <= CAMPAIGN_LENGTH_MAX_MS => Ok(()),
        _ => Err(LiveError::InvalidCampaignWindow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_have_stable_codes() {
        use SessionStatus::*;
        assert_eq!(Scheduled.go_live(), Ok(Live));
        assert_eq!(
            Live.go_live().map_err(|e| e.code()),
            Err("session_already_live")
        );
        assert_eq!(Ended.go_live().map_err(|e| e.code()), Err("session_ended"));
        assert_eq!(Scheduled.end(), Ok(Ended));
        assert_eq!(Live.end(), Ok(Ended));
        assert_eq!(Ended.end().map_err(|e| e.code()), Err("session_ended"));
        assert!(Scheduled.check_editable().is_ok());
        assert_eq!(
            Live.check_editable().map_err(|e| e.code()),
            Err("session_already_live")
        );
        assert!(Live.check_shelf_changeable().is_ok());
        assert!(Ended.check_shelf_changeable().is_err());
        for status in [Scheduled, Live, Ended] {
            assert_eq!(SessionStatus::from_db(status.as_str()), Some(status));
        }
        assert_eq!(
            Live.go_live().map_err(|e| e.to_string()),
            Err("a session that is live cannot be taken live".to_owned())
        );
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            SessionTitle::parse("  格力超级品牌日  ").map(|t| t.as_str().to_owned()),
            Ok("格力超级品牌日".to_owned())
        );
        assert!(SessionTitle::parse(&"空".repeat(60)).is_ok());
        assert_eq!(
            SessionTitle::parse(&"空".repeat(61)),
            Err(LiveError::InvalidTitle)
        );
        assert_eq!(SessionTitle::parse("   "), Err(LiveError::InvalidTitle));
    }

    #[test]
    fn playback_urls() {
        assert!(PlaybackUrl::parse("https://media.example.com/live/42/index.m3u8").is_ok());
        assert!(PlaybackUrl::parse("http://127.0.0.1:8889/room42/whep").is_ok());
        for bad in [
            "rtmp://media.example.com/live/42",
            "https://",
            "https:///path",
            "https://:8080/x",
            "https://media.example.com/a b.m3u8",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(
                PlaybackUrl::parse(bad),
                Err(LiveError::InvalidPlaybackUrl),
                "{bad}"
            );
        }
        let long = format!("https://media.example.com/{}", "a".repeat(2_048));
        assert_eq!(
            PlaybackUrl::parse(&long),
            Err(LiveError::InvalidPlaybackUrl)
        );
    }

    #[test]
    fn start_times() {
        let now = 1_700_000_000_000;
        assert_eq!(check_start(now, now), Err(LiveError::StartInPast));
        assert_eq!(check_start(now + 1, now), Ok(now + 1));
        assert!(check_start(now + SCHEDULE_AHEAD_MAX_MS, now).is_ok());
        assert_eq!(
            check_start(now + SCHEDULE_AHEAD_MAX_MS + 1, now),
            Err(LiveError::StartTooFar)
        );
    }

    #[test]
    fn live_price_codes() {
        let (floor, pool) = (Fen(850_000), Fen(899_900));
        assert_eq!(
            LivePrice::parse(850_000, floor, pool).map(LivePrice::fen),
            Ok(floor)
        );
        assert_eq!(
            LivePrice::parse(899_900, floor, pool).map(LivePrice::fen),
            Ok(pool)
        );
        let code = |r: Result<LivePrice, LiveError>| r.err().map(|e| e.code());
        assert_eq!(
            code(LivePrice::parse(849_999, floor, pool)),
            Some("live_price_below_floor")
        );
        assert_eq!(
            code(LivePrice::parse(899_901, floor, pool)),
            Some("live_price_above_pool")
        );
        assert_eq!(
            code(LivePrice::parse(-1, floor, pool)),
            Some("live_price_below_floor")
        );
    }

    #[test]
    fn mute_lengths() {
        assert_eq!(MuteLength::parse(None), Ok(MuteLength::UntilSessionEnds));
        assert_eq!(MuteLength::parse(Some(60)), Ok(MuteLength::For(60_000)));
        assert_eq!(
            MuteLength::parse(Some(59)),
            Err(LiveError::InvalidMuteDuration)
        );
        assert_eq!(
            MuteLength::parse(Some(30 * 24 * 3_600 + 1)),
            Err(LiveError::InvalidMuteDuration)
        );
        assert_eq!(
            MuteLength::parse(Some(i64::MAX)),
            Err(LiveError::InvalidMuteDuration)
        );
        assert_eq!(MuteLength::For(60_000).until_ms(1_000), Some(61_000));
        assert_eq!(MuteLength::UntilSessionEnds.until_ms(1_000), None);
    }

    #[test]
    fn campaigns() {
        assert_eq!(
            check_campaign_name(" 超级品牌日 "),
            Ok("超级品牌日".to_owned())
        );
        assert!(check_campaign_name("").is_err());
        assert!(check_campaign_window(0, 1).is_ok());
        assert!(check_campaign_window(1, 1).is_err());
        assert!(check_campaign_window(0, CAMPAIGN_LENGTH_MAX_MS + 1).is_err());
        assert!(check_campaign_window(i64::MIN, i64::MAX).is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone, Copy)]
        enum Action {
            GoLive,
            End,
        }

        fn action() -> impl Strategy<Value = Action> {
            prop_oneof![Just(Action::GoLive), Just(Action::End)]
        }

        proptest! {
            /// Whatever the anchor and operators try, a session goes live at most once, only
            /// from scheduled, never returns to scheduled, and stays ended once ended.
            #[test]
            fn sessions_only_move_forward(actions in proptest::collection::vec(action(), 0..30)) {
                let mut status = SessionStatus::Scheduled;
                let mut went_live = 0;
                for action in actions {
                    let before = status;
                    let result = match action {
                        Action::GoLive => status.go_live(),
                        Action::End => status.end(),
                    };
                    if let Ok(next) = result {
                        if next == SessionStatus::Live {
                            went_live += 1;
                            prop_assert_eq!(before, SessionStatus::Scheduled);
                        }
                        status = next;
                    } else {
                        prop_assert_ne!(
                            (before, matches!(action, Action::End)),
                            (SessionStatus::Live, true),
                            "a live session can always be ended"
                        );
                    }
                    prop_assert!(status != SessionStatus::Scheduled || before == SessionStatus::Scheduled);
                    if before == SessionStatus::Ended {
                        prop_assert_eq!(status, SessionStatus::Ended);
                    }
                    prop_assert_eq!(status.check_editable().is_ok(), status == SessionStatus::Scheduled);
                }
                prop_assert!(went_live <= 1);
            }

            /// An accepted live price lies between the floor and the pool price, and every
            /// price in that range is accepted.
            #[test]
            fn live_price_rule(
                floor in 1i64..2_000_000,
                above_floor in 0i64..500_000,
                price in -10i64..3_000_000,
            ) {
                let (floor, pool) = (Fen(floor), Fen(floor + above_floor));
                let accepted = LivePrice::parse(price, floor, pool);
                let in_range = floor.0 <= price && price <= pool.0;
                prop_assert_eq!(accepted.is_ok(), in_range);
                if let Ok(live) = accepted {
                    prop_assert!(live.fen() >= floor && live.fen() <= pool && live.fen().0 > 0);
                }
            }

            /// A timed mute always ends after it starts and at most 30 days later.
            #[test]
            fn mutes_are_bounded(seconds in proptest::option::of(-100i64..4_000_000), now in 0i64..2_000_000_000_000) {
                if let Ok(length) = MuteLength::parse(seconds) {
                    match length.until_ms(now) {
                        Some(until) => prop_assert!(until > now && until - now <= MUTE_MAX_MS),
                        None => prop_assert!(seconds.is_none()),
                    }
                }
            }
        }
    }
}
