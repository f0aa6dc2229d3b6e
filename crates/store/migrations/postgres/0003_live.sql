-- Live sessions, campaigns, follows, in-app notifications and room moderation (PostgreSQL).
-- Times are Unix milliseconds; money is integer fen.

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL
);

-- One broadcast of one anchor. The counters are kept for the data work that comes later:
-- peak concurrent viewers, cumulative unique viewers (see session_viewers), likes, comments.
CREATE TABLE live_sessions (
    id BIGSERIAL PRIMARY KEY,
    anchor_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at_ms BIGINT NOT NULL,
    went_live_at_ms BIGINT,
    ended_at_ms BIGINT,
    campaign_id BIGINT REFERENCES campaigns(id),
    playback_url TEXT,
    pinned_sku_id BIGINT REFERENCES skus(id),
    peak_online BIGINT NOT NULL DEFAULT 0,
    unique_viewers BIGINT NOT NULL DEFAULT 0,
    likes BIGINT NOT NULL DEFAULT 0,
    comments BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
-- "Live now", newest first; "upcoming", soonest first; an anchor's own sessions. The id
-- breaks ties in the order of each list.
CREATE INDEX live_sessions_live_now ON live_sessions(went_live_at_ms, id) WHERE status = 'live';
CREATE INDEX live_sessions_upcoming ON live_sessions(starts_at_ms, id) WHERE status = 'scheduled';
CREATE INDEX live_sessions_anchor ON live_sessions(anchor_id, id);
-- An anchor broadcasts one session at a time; the index makes a second go-live fail even
-- when two requests race.
CREATE UNIQUE INDEX live_sessions_one_live_per_anchor ON live_sessions(anchor_id)
    WHERE status = 'live';

CREATE TABLE session_items (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    sku_id BIGINT NOT NULL REFERENCES skus(id),
    live_price_fen BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (session_id, sku_id)
);

CREATE TABLE follows (
    viewer_id BIGINT NOT NULL REFERENCES users(id),
    anchor_id BIGINT NOT NULL REFERENCES users(id),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (viewer_id, anchor_id)
);
CREATE INDEX follows_anchor ON follows(anchor_id, viewer_id);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    session_id BIGINT REFERENCES live_sessions(id),
    body_json TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    read_at_ms BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- until_ms NULL: muted for the rest of the session.
CREATE TABLE room_mutes (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    until_ms BIGINT,
    muted_by BIGINT NOT NULL REFERENCES users(id),
    reason TEXT,
    muted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- Everyone who ever joined a session, once: a user id or an anonymous visitor id.
CREATE TABLE session_viewers (
    session_id BIGINT NOT NULL REFERENCES live_sessions(id),
    viewer_key TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, viewer_key)
);
