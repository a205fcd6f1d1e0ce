// cacheme's MongoDB-wire test server: congodb (from the npm package @push.rocks/smartmongo, a
// pure-JavaScript OP_MSG server; no mongod exists in Debian 12), with two fixes applied here.
//
//   node scripts/mongo_test_server.mjs CONGODB_DIR PORT
//
// CONGODB_DIR holds congodb/ and its node_modules (scripts/services.sh installs it there).
//
// 1. congodb keeps documents in a Map keyed by `_id.toHexString()` and turns every `_id` into an
//    ObjectId: a string or BinData `_id`, which real MongoDB takes, fails. Documents are keyed
//    here by a canonical form of any `_id` (type tag + value) and keep their `_id` as given.
// 2. congodb answers every find, update and delete by scanning the whole collection. When each
//    statement of a command pins `_id` (`{_id: v}` or `{_id: {$in: [...]}}`), the scan here
//    covers only those documents (congodb's own matcher still applies the whole filter), as
//    MongoDB's `_id` index does. Other filters (the expiry sweep, the prefix flush) still scan.
//
// Still unlike MongoDB (cacheme's driver does not rely on either): no TTL monitor (a TTL index is
// stored, never applied) and `serverStatus` has no `opcounters`.
import { pathToFileURL } from 'node:url';

const [dir, portArg] = process.argv.slice(2);
const congo = await import(pathToFileURL(`${dir}/congodb/index.js`).href);
const { CongoServer, CommandRouter, MemoryStorageAdapter, ObjectId, Binary } = congo;

// ---------------------------------------------------------------- 1. any _id type
function idKey(id) {
  if (id instanceof ObjectId) return 'o' + id.toHexString();
  if (typeof id === 'string') return 's' + id;
  if (id instanceof Binary) return 'b' + id.sub_type + ':' + Buffer.from(id.buffer).toString('base64');
  return 'j' + congo.plugins.bson.EJSON.stringify({ v: id }, { relaxed: false });
}

const S = MemoryStorageAdapter.prototype;
S.insertOne = async function (dbName, collName, doc) {
  const collection = this.ensureCollection(dbName, collName);
  const stored = { ...doc, _id: doc._id ?? new ObjectId() };
  const key = idKey(stored._id);
  if (collection.has(key)) throw Object.assign(new Error(`E11000 duplicate key: _id ${key}`), { code: 11000 });
  collection.set(key, stored);
  return stored;
};
S.findById = async function (dbName, collName, id) {
  return this.ensureCollection(dbName, collName).get(idKey(id)) || null;
};
S.updateById = async function (dbName, collName, id, doc) {
  const collection = this.ensureCollection(dbName, collName);
  const key = idKey(id);
  if (!collection.has(key)) return false;
  collection.set(key, doc);
  return true;
};
S.deleteById = async function (dbName, collName, id) {
  return this.ensureCollection(dbName, collName).delete(idKey(id));
};

// ---------------------------------------------------------------- 2. _id lookups without a scan
const isOperatorDoc = (v) => v && typeof v === 'object' && !(v instanceof ObjectId) && !(v instanceof Binary) &&
  Object.keys(v).some((k) => k.startsWith('$'));

// The _ids a filter pins, or null when it does not pin them.
function pinnedIds(filter) {
  if (!filter || !Object.prototype.hasOwnProperty.call(filter, '_id')) return null;
  const id = filter._id;
  if (!isOperatorDoc(id)) return [id];
  const keys = Object.keys(id);
  if (keys.length === 1 && keys[0] === '$in' && Array.isArray(id.$in)) return id.$in;
  return null;
}

// Per statement of a find/update/delete, the _ids it pins; null when one does not pin them.
function statementIds({ commandName, command, documentSequences }) {
  let filters;
  if (commandName === 'find') filters = [command.filter];
  else if (commandName === 'update') filters = (documentSequences?.get('updates') ?? command.updates ?? []).map((u) => u.q);
  else if (commandName === 'delete') filters = (documentSequences?.get('deletes') ?? command.deletes ?? []).map((d) => d.q);
  else return null;
  const ids = filters.map(pinnedIds);
  return ids.every((i) => i) ? ids : null;
}

// Index commands: congodb builds in-memory index entries (read by none of its handlers) with
// `_id.toHexString()`, which only ObjectIds have; they see an empty collection here.
const indexCommands = new Set(['createIndexes', 'listIndexes', 'dropIndexes']);

// congodb's find, update and delete handlers call storage.findAll once per statement, in order:
// the k-th call gets the documents statement k pins.
const route = CommandRouter.prototype.route;
CommandRouter.prototype.route = async function (parsed) {
  const perStatement = indexCommands.has(parsed.commandName) ? null : statementIds(parsed);
  if (!perStatement && !indexCommands.has(parsed.commandName)) return route.call(this, parsed);
  const storage = this.storage;
  const view = Object.create(storage);
  let call = 0;
  view.findAll = async (dbName, collName) => {
    const collection = storage.ensureCollection(dbName, collName);
    const ids = perStatement?.[call++] ?? [];
    const seen = new Set();
    const docs = [];
    for (const id of ids) {
      const key = idKey(id);
      const doc = collection.get(key);
      if (doc && !seen.has(key)) seen.add(key), docs.push(doc);
    }
    return docs;
  };
  return route.call(Object.create(this, { storage: { value: view } }), parsed);
};

// ---------------------------------------------------------------- serve
const port = Number(portArg ?? 27017);
const server = new CongoServer({ host: '127.0.0.1', port });
await server.start();
console.log(`congodb listening on 127.0.0.1:${port}`);
const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
