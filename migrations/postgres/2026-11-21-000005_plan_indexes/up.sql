-- Found by tests/query_plans.rs: two lookups that walked more rows than they return.

-- Ending a member's half-logins (password change, 2FA change) by member.
CREATE INDEX pending_logins_user ON pending_logins (user_id);

-- The pinned threads at the top of a board's first page, in pin order, without reading
-- every thread of the board.
CREATE INDEX threads_board_pinned ON threads (board_id, pinned_at, id) WHERE pinned_at IS NOT NULL;
