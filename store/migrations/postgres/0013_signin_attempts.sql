-- Sign-in attempts, counted per account and per client address and shared
-- by every node on this database, so that guessing passwords is limited
-- however many nodes serve the sign-in page (issue 13, point 2; see
-- store/signins.go). key is the SHA-256 of what is counted ("account:" and
-- the email typed, or "address:" and the client's address), so the table
-- keeps neither. Times are Unix ms.
--   attempts      attempts in the window that ends at window_ends;
--   locked_until  until when every attempt is refused (0: never locked).
CREATE TABLE signin_attempts (
    key          BYTEA PRIMARY KEY,
    attempts     BIGINT NOT NULL,
    window_ends  BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
CREATE INDEX signin_attempts_window ON signin_attempts (window_ends);
