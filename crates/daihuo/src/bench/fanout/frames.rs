//! Reading room frames as a viewer and checking their sequence: every event's offset must
//! follow the last one, or be covered by a `skipped` frame; a rejoin must be answered with
//! `resumed` at the viewer's own position. Anything else is a gap.
//!
//! Only the fields the check needs are parsed; a snapshot's state is skipped unread.

use serde::Deserialize;

/// The fields of a server frame the bench reads.
#[derive(Debug, Deserialize)]
struct FrameIn<'a> {
    /// `snapshot`, `resumed`, `event`, `skipped`, `counters` or `error`.
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    epoch: Option<u64>,
    offset: Option<u64>,
    recovered: Option<bool>,
    from: Option<u64>,
    to: Option<u64>,
    count: Option<u64>,
    likes: Option<u64>,
    event: Option<EventIn>,
    code: Option<String>,
}

/// The fields of an event the bench reads.
#[derive(Debug, Deserialize)]
struct EventIn {
    /// A notice carries its publisher's clock.
    sent_at_us: Option<u64>,
}

/// What one frame meant for the viewer's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameCheck {
    /// The first snapshot: the viewer's sequence starts here.
    Joined,
    /// A rejoin was honoured; `missing` offsets lay between the viewer's position and the
    /// server's (0 when the server resumed exactly where the viewer was).
    Resumed {
        /// Offsets lost.
        missing: u64,
    },
    /// A rejoin got a fresh snapshot instead of the missed events: a gap.
    Unrecovered {
        /// The snapshot's offset was below the viewer's last one: the node answering was
        /// behind the node the viewer came from.
        behind: bool,
    },
    /// A sequenced event.
    Event {
        /// Offsets missing before it.
        missing: u64,
        /// It was already received.
        duplicate: bool,
        /// A notice's publisher clock.
        sent_at_us: Option<u64>,
    },
    /// Offsets deliberately skipped by the server.
    Skipped {
        /// Offsets the frame covers.
        covered: u64,
        /// Offsets missing before it.
        missing: u64,
    },
    /// Coalesced counters.
    Counters {
        /// The like total.
        likes: u64,
    },
    /// An error frame.
    Error {
        /// Its code.
        message: String,
    },
    /// A frame that could not be read.
    Malformed {
        /// Why.
        message: String,
    },
    /// Nothing to check.
    Ignored,
}

/// A viewer's place in its room's sequence.
#[derive(Debug, Clone, Default)]
pub struct ViewerSequence {
    /// `(epoch, last offset)` once joined.
    position: Option<(u64, u64)>,
}

impl ViewerSequence {
    /// `(epoch, last offset)`, once the viewer has joined.
    pub fn position(&self) -> Option<(u64, u64)> {
        self.position
    }

    /// Starts the sequence at `(epoch, offset)` without a snapshot (the peer's case).
    pub fn start(&mut self, epoch: u64, offset: u64) {
        self.position = Some((epoch, offset));
    }

    /// Checks one frame and moves the position.
    pub fn check(&mut self, frame: &[u8]) -> FrameCheck {
        let frame: FrameIn<'_> = match serde_json::from_slice(frame) {
            Ok(frame) => frame,
            Err(error) => {
                return FrameCheck::Malformed {
                    message: error.to_string(),
                }
            }
        };
        let (Some(epoch), Some(offset)) = (frame.epoch, frame.offset) else {
            return self.check_unsequenced(&frame);
        };
        match frame.kind {
            "snapshot" => {
                let previous = self.position;
                self.position = Some((epoch, offset));
                match (previous, frame.recovered) {
                    (None, _) => FrameCheck::Joined,
                    (Some(_), Some(true)) => FrameCheck::Resumed { missing: 0 },
                    (Some((mine, last)), _) => FrameCheck::Unrecovered {
                        behind: mine == epoch && offset < last,
                    },
                }
            }
            "resumed" => {
                let missing = match self.position {
                    Some((mine, last)) if mine == epoch => offset.saturating_sub(last),
                    Some(_) => return self.restart(epoch, offset),
                    None => 0,
                };
                self.position = Some((epoch, offset.max(self.last())));
                FrameCheck::Resumed { missing }
            }
            "event" => {
                let sent_at_us = frame.event.and_then(|event| event.sent_at_us);
                match self.position {
                    Some((mine, last)) if mine == epoch => {
                        let duplicate = offset <= last;
                        let missing = offset.saturating_sub(last + 1);
                        self.position = Some((epoch, offset.max(last)));
                        FrameCheck::Event {
                            missing,
                            duplicate,
                            sent_at_us,
                        }
                    }
                    Some(_) => self.restart(epoch, offset),
                    // An event before any snapshot: nothing to compare with yet.
                    None => {
                        self.position = Some((epoch, offset));
                        FrameCheck::Event {
                            missing: 0,
                            duplicate: false,
                            sent_at_us,
                        }
                    }
                }
            }
            _ => FrameCheck::Ignored,
        }
    }

    fn last(&self) -> u64 {
        self.position.map_or(0, |(_, last)| last)
    }

    /// The epoch changed under the viewer without a snapshot: everything since is unknown.
    fn restart(&mut self, epoch: u64, offset: u64) -> FrameCheck {
        self.position = Some((epoch, offset));
        FrameCheck::Unrecovered { behind: false }
    }

    fn check_unsequenced(&mut self, frame: &FrameIn<'_>) -> FrameCheck {
        match frame.kind {
            "skipped" => {
                let (Some(from), Some(to)) = (frame.from, frame.to) else {
                    return FrameCheck::Malformed {
                        message: "skipped without from and to".into(),
                    };
                };
                let covered = frame.count.unwrap_or(to.saturating_sub(from) + 1);
                match self.position {
                    Some((epoch, last)) => {
                        let missing = from.saturating_sub(last + 1);
                        self.position = Some((epoch, to.max(last)));
                        FrameCheck::Skipped { covered, missing }
                    }
                    None => FrameCheck::Skipped {
                        covered,
                        missing: 0,
                    },
                }
            }
            "counters" => FrameCheck::Counters {
                likes: frame.likes.unwrap_or(0),
            },
            "error" => FrameCheck::Error {
                message: frame.code.clone().unwrap_or_default(),
            },
            _ => FrameCheck::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(epoch: u64, offset: u64) -> String {
        format!(
            r#"{{"type":"event","epoch":{epoch},"offset":{offset},"event":{{"kind":"notice","text":"x","sent_at_us":{offset}00}}}}"#
        )
    }

    #[test]
    fn contiguous_events_have_no_gap() {
        let mut sequence = ViewerSequence::default();
        let snapshot = r#"{"type":"snapshot","epoch":7,"offset":3,"state":{"shelf":[1,2]},"counters":{"online":1,"likes":0,"comments":0}}"#;
        assert_eq!(sequence.check(snapshot.as_bytes()), FrameCheck::Joined);
        assert_eq!(
            sequence.check(event(7, 4).as_bytes()),
            FrameCheck::Event {
                missing: 0,
                duplicate: false,
                sent_at_us: Some(400)
            }
        );
        assert_eq!(sequence.position(), Some((7, 4)));
    }

    #[test]
    fn a_jump_is_a_gap_unless_skipped() {
        let mut sequence = ViewerSequence::default();
        sequence.start(1, 0);
        let skipped = r#"{"type":"skipped","from":1,"to":3,"count":3}"#;
        assert_eq!(
            sequence.check(skipped.as_bytes()),
            FrameCheck::Skipped {
                covered: 3,
                missing: 0
            }
        );
        assert!(matches!(
            sequence.check(event(1, 4).as_bytes()),
            FrameCheck::Event { missing: 0, .. }
        ));
        assert!(matches!(
            sequence.check(event(1, 7).as_bytes()),
            FrameCheck::Event { missing: 2, .. }
        ));
        assert!(matches!(
            sequence.check(event(1, 7).as_bytes()),
            FrameCheck::Event {
                duplicate: true,
                ..
            }
        ));
    }

    #[test]
    fn a_rejoin_must_resume_or_it_is_a_gap() {
        let mut sequence = ViewerSequence::default();
        sequence.start(5, 10);
        let resumed = r#"{"type":"resumed","epoch":5,"offset":10}"#;
        assert_eq!(
            sequence.check(resumed.as_bytes()),
            FrameCheck::Resumed { missing: 0 }
        );
        let fresh = r#"{"type":"snapshot","epoch":5,"offset":30,"recovered":false,"state":{},"counters":{}}"#;
        assert_eq!(
            sequence.check(fresh.as_bytes()),
            FrameCheck::Unrecovered { behind: false }
        );
        assert_eq!(sequence.position(), Some((5, 30)));
        assert_eq!(
            sequence.check(event(6, 1).as_bytes()),
            FrameCheck::Unrecovered { behind: false }
        );
        let older = r#"{"type":"snapshot","epoch":6,"offset":0,"recovered":false,"state":{},"counters":{}}"#;
        assert_eq!(
            sequence.check(older.as_bytes()),
            FrameCheck::Unrecovered { behind: true }
        );
    }

    #[test]
    fn counters_and_errors_are_read() {
        let mut sequence = ViewerSequence::default();
        let counters = r#"{"type":"counters","online":3,"likes":900,"comments":2}"#;
        assert_eq!(
            sequence.check(counters.as_bytes()),
            FrameCheck::Counters { likes: 900 }
        );
        let error = r#"{"type":"error","code":"rate_limited","message":"slow down"}"#;
        assert_eq!(
            sequence.check(error.as_bytes()),
            FrameCheck::Error {
                message: "rate_limited".into()
            }
        );
        assert!(matches!(
            sequence.check(b"not json"),
            FrameCheck::Malformed { .. }
        ));
    }
}
