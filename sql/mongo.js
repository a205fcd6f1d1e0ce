// The cache collection of cacheme's MongoDB storage (the seed ships the same file), for mongosh:
//
//   mongosh "mongodb://host:port/DATABASE" sql/mongo.js     (the storage URL's ?database=DATABASE)
//
// Documents: {_id: key, value: BinData, expire: Date}. `_id` is a string (BinData for a key that
// is not UTF-8); `expire` is absent for entries that never expire. The collection is `cache`
// unless the URL names another (?collection=...): then use that name below.
//
// The TTL index lets the server delete expired documents itself (its TTL monitor runs about once
// a minute). cacheme does not rely on it: an expired document is a miss, and the driver deletes
// expired documents in batches of at most 500. `init=1` in the URL creates this same index.
db.cache.createIndex({ expire: 1 }, { name: "expire_1", expireAfterSeconds: 0 });
