-- cacheme cache table for PostgreSQL 15 (postgresql://...?table=cache).
-- Apply with: psql "$URL" -f sql/postgresql.sql (or pass init=1 / cacheme-bench --init).
-- The driver substitutes its validated table name for `cache` when it applies this file.
-- key: binary, at most 512 bytes; value: opaque bytes; expire NULL: never expires.
CREATE TABLE IF NOT EXISTS cache (
  key bytea NOT NULL PRIMARY KEY CHECK (octet_length(key) <= 512),
  value bytea NOT NULL,
  expire timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cache_expire_idx ON cache (expire);
