-- cacheme cache table for SQLite 3 (sqlite:///path?table=cache).
-- Apply with: sqlite3 /path/to/db < sql/sqlite.sql (or pass init=1 / cacheme-bench --init).
-- The driver substitutes its validated table name for `cache` when it applies this file.
-- key: binary, at most 512 bytes; value: opaque bytes; expire and updated_at: Unix ms
-- (expire NULL: never expires).
CREATE TABLE IF NOT EXISTS cache (
  key BLOB NOT NULL PRIMARY KEY CHECK (length(key) <= 512),
  value BLOB NOT NULL,
  expire INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_expire_idx ON cache (expire);
