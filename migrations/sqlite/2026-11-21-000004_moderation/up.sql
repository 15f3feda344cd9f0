-- Flags: a member reports a post to staff, once per post.
CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id),
    member_id BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by BIGINT REFERENCES users (id),
    -- 'removed' or 'dismissed'
    resolution TEXT,
    UNIQUE (post_id, member_id)
);
-- The open queue, oldest first.
CREATE INDEX flags_open ON flags (resolved_at, created_at);

-- Every staff action, append-only. Each entry carries the hash of the one before it, so
-- that changing or removing an entry breaks the chain (`agora mod verify-log`).
CREATE TABLE mod_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);

-- Board lists filtered to the staff's work queue, to staff-answered and to solved
-- threads. The predicates are written as the queries write them, so SQLite can match them.
CREATE INDEX threads_board_unanswered ON threads (board_id, last_activity_at, id)
    WHERE NOT staff_answered AND accepted_post_id IS NULL;
CREATE INDEX threads_board_staff_answered ON threads (board_id, last_activity_at, id)
    WHERE staff_answered;
CREATE INDEX threads_board_solved ON threads (board_id, last_activity_at, id)
    WHERE accepted_post_id IS NOT NULL;
