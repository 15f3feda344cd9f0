-- Two-factor login and account security (issue 4). New tables, plus one column on users:
-- whether 2FA is on is read with every session and every author badge, so it sits on the
-- row those queries already load; the secret itself lives in its own table.

ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP;

-- One TOTP secret per account: pending while users.totp_enabled_at is NULL, in force once
-- it is set. The secret is XChaCha20-Poly1305 ciphertext (nonce || sealed bytes) under a
-- key that is not in this database, so a copy of the file gives no second factor away.
CREATE TABLE totp_credentials (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_ciphertext BLOB NOT NULL,
    -- The last accepted 30-second time step: that step and every earlier one are refused,
    -- so a code works once (RFC 6238 section 5.2).
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 digests only.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    UNIQUE (user_id, code_hash)
);

-- The half-login between a correct password and the second factor: good for the code
-- step only, for five minutes. Only the SHA-256 of its token is kept.
CREATE TABLE pending_logins (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_logins_expiry ON pending_logins (expires_at);

-- Failed password and code checks, per account, per client address and per session, kept
-- in the database so that every app server sharing it sees the same counts.
CREATE TABLE login_throttles (
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address', 'session')),
    key TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttles_age ON login_throttles (last_failure_at);
