-- cacheme cache table for MariaDB 10.11 / MySQL 8 (mysql://...?table=cache).
-- Apply with: mariadb -u USER -p DB < sql/mysql.sql (or pass init=1 / cacheme-bench --init).
-- The driver substitutes its validated table name for `cache` when it applies this file.
-- key: binary, at most 512 bytes; value: opaque bytes; times in UTC; expire NULL: never expires.
CREATE TABLE IF NOT EXISTS cache (
  `key` VARBINARY(512) NOT NULL PRIMARY KEY,
  value LONGBLOB NOT NULL,
  expire DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL,
  INDEX cache_expire_idx (expire)
) ENGINE=InnoDB;
