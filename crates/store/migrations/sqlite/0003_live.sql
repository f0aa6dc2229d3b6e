-- Live sessions, campaigns, follows, in-app notifications and room moderation (SQLite).
-- Times are Unix milliseconds; money is integer fen.

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL
);

-- One broadcast of one anchor. The counters are kept for the data work that comes later:
-- peak concurrent viewers, cumulative unique viewers (see session_viewers), likes, comments.
CREATE TABLE live_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    anchor_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at_ms INTEGER NOT NULL,
    went_live_at_ms INTEGER,
    ended_at_ms INTEGER,
    campaign_id INTEGER REFERENCES campaigns(id),
    playback_url TEXT,
    pinned_sku_id INTEGER REFERENCES skus(id),
    peak_online INTEGER NOT NULL DEFAULT 0,
    unique_viewers INTEGER NOT NULL DEFAULT 0,
    likes INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
-- "Live now", newest first; "upcoming", soonest first; an anchor's own sessions. SQLite
-- appends the row id to every index, which breaks ties in the order of each list.
CREATE INDEX live_sessions_live_now ON live_sessions(went_live_at_ms) WHERE status = 'live';
CREATE INDEX live_sessions_upcoming ON live_sessions(starts_at_ms) WHERE status = 'scheduled';
CREATE INDEX live_sessions_anchor ON live_sessions(anchor_id, id);
-- An anchor broadcasts one session at a time; the index makes a second go-live fail even
-- when two requests race.
CREATE UNIQUE INDEX live_sessions_one_live_per_anchor ON live_sessions(anchor_id)
    WHERE status = 'live';

CREATE TABLE session_items (
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    live_price_fen INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (session_id, sku_id)
);

CREATE TABLE follows (
    viewer_id INTEGER NOT NULL REFERENCES users(id),
    anchor_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (viewer_id, anchor_id)
);
CREATE INDEX follows_anchor ON follows(anchor_id, viewer_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    session_id INTEGER REFERENCES live_sessions(id),
    body_json TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    read_at_ms INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- until_ms NULL: muted for the rest of the session.
CREATE TABLE room_mutes (
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    until_ms INTEGER,
    muted_by INTEGER NOT NULL REFERENCES users(id),
    reason TEXT,
    muted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- Everyone who ever joined a session, once: a user id or an anonymous visitor id.
CREATE TABLE session_viewers (
    session_id INTEGER NOT NULL REFERENCES live_sessions(id),
    viewer_key TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, viewer_key)
);
