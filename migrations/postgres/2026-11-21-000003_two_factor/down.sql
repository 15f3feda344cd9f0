DROP TABLE login_throttles;
DROP TABLE pending_logins;
DROP TABLE recovery_codes;
DROP TABLE totp_credentials;
ALTER TABLE users DROP COLUMN totp_enabled_at;
