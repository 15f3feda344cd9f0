-- The core forum. Columns that moderation, badges and 2FA will need (role, pinned, locked,
-- removed, staff_answered, accepted_post_id, suspension) are here from the start so that
-- later issues add tables, not reshape these.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    -- Two accounts whose keys are equal cannot both exist; logins look names up by it.
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'staff', 'admin')),
    locale TEXT,
    suspended_until TIMESTAMP,
    suspension_reason TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token the client holds; the token itself is never stored.
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    user_agent TEXT,
    ip TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE boards (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description_zh TEXT NOT NULL,
    description_en TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    thread_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE threads (
    id INTEGER PRIMARY KEY,
    board_id BIGINT NOT NULL REFERENCES boards (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    -- Post numbers handed out so far (the first post is number 0), removed ones included.
    post_count BIGINT NOT NULL DEFAULT 0,
    -- Visible replies, kept current in the transaction that changes them.
    reply_count BIGINT NOT NULL DEFAULT 0,
    pinned_at TIMESTAMP,
    locked_at TIMESTAMP,
    removed_at TIMESTAMP,
    removed_reason TEXT,
    removed_by BIGINT REFERENCES users (id),
    staff_answered BOOLEAN NOT NULL DEFAULT 0,
    accepted_post_id BIGINT
);
-- Board pages walk this index by key range (no OFFSET), at any depth.
CREATE INDEX threads_board_activity ON threads (board_id, last_activity_at, id);
CREATE INDEX threads_author ON threads (author_id, created_at);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES threads (id),
    number BIGINT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body_source TEXT NOT NULL,
    -- Rendered and sanitised once, when written; pages never render again.
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    removed_at TIMESTAMP,
    removed_reason TEXT,
    removed_by BIGINT REFERENCES users (id),
    UNIQUE (thread_id, number)
);
CREATE INDEX posts_author ON posts (author_id, created_at);
