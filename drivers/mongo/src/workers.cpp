// The MongoDB worker threads, their batches and group commit.
#include "workers.hpp"

#include <algorithm>
#include <unordered_set>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::mongo {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Entries of one bulk write at most: a bound on one batch's size and latency (a real server
// splits larger bulks by maxWriteBatchSize itself, 100,000).
constexpr std::size_t kMaxGroupEntries = 1000;

std::vector<std::string> distinct(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  for (const auto& k : keys)
    if (seen.insert(k).second) out.push_back(k);
  return out;
}

}  // namespace

Completion failure(const Operation& op) {
  Completion c;
  c.id = std::visit([](const auto& r) { return r.id; }, op);
  c.is_fetch = std::holds_alternative<core::FetchRequest>(op);
  c.fetch.status = core::IoStatus::backend_error;
  c.status = core::IoStatus::backend_error;
  return c;
}

void Workers::open(OpenedFn opened) {
  std::lock_guard lock(mutex_);
  threads_.emplace_back([this, opened = std::move(opened)] {
    auto r = connect();
    if (r) {
      std::lock_guard inner(mutex_);
      opened_ = true;
    }
    opened(r);
    if (r) serve();
  });
}

Result<void> Workers::connect() {
  init_library();
  Uri probe_uri = make_uri(settings_, UriUse::probe);
  Uri pool_uri = make_uri(settings_, UriUse::pool);
  if (!probe_uri || !pool_uri) return fail(errc::bad_url);
  // One try with a client of its own: a pooled client would wait the whole selection timeout
  // for a server that refuses connections.
  Client probe(mongoc_client_new_from_uri(probe_uri.get()));
  std::string error;
  if (!probe || !ping(probe.get(), error)) {
    sql::log_message("mongo", "cannot connect to " + settings_.display + ": " + error);
    return fail(errc::connect_failed);
  }
  if (settings_.init && !create_ttl_index(probe.get(), settings_, error)) {
    sql::log_message("mongo", "cannot create the TTL index of sql/mongo.js on " + settings_.display + ": " + error);
    return fail(errc::schema_missing);
  }
  pool_.reset(mongoc_client_pool_new(pool_uri.get()));
  if (!pool_) return fail(errc::connect_failed);
  mongoc_client_pool_set_error_api(pool_.get(), MONGOC_ERROR_API_VERSION_2);
  return {};
}

void Workers::submit(Operation op) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(op), Clock::now()});
    if (opened_ && !stopping_ && queue_.size() > idle_ && threads_.size() < settings_.pool_size)
      threads_.emplace_back([this] { serve(); });
  }
  wake_.notify_one();
}

std::vector<Operation> Workers::stop() {
  std::vector<Operation> left;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& q : queue_) left.push_back(std::move(q.op));
    queue_.clear();
    threads.swap(threads_);
  }
  wake_.notify_all();
  bool detached = false;
  for (auto& t : threads) {
    if (!t.joinable()) continue;
    // The last reference to the storage may, in a rare race, be dropped on a worker itself.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
      detached = true;
    } else {
      t.join();
    }
  }
  if (!detached) pool_.reset();  // every client is back in the pool
  return left;
}

void Workers::abandon(core::IoId id) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Queued& q) {
    return std::visit([](const auto& r) { return r.id; }, q.op) == id;
  });
  if (it != queue_.end()) queue_.erase(it);
}

std::pair<std::size_t, std::size_t> Workers::threads() const {
  std::lock_guard lock(mutex_);
  return {threads_.size(), idle_};
}

std::map<std::string, std::uint64_t> Workers::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void Workers::count(const char* name, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  counts_[name] += n;
}

void Workers::serve() {
  mongoc_client_t* client = mongoc_client_pool_pop(pool_.get());
  {
    Collection collection(client, settings_);
    Batch batch;
    while (next_batch(batch)) {
      auto done = execute(collection, batch);
      if (!done.empty()) deliver_(std::move(done));
    }
  }
  mongoc_client_pool_push(pool_.get(), client);
}

// Takes the next operation; a store takes every other store queued with it (one bulk write).
// Operations older than the core's timeout are failed unsent: the core has given up on them.
bool Workers::next_batch(Batch& batch) {
  batch = Batch{};
  std::unique_lock lock(mutex_);
  ++idle_;
  wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  --idle_;
  if (stopping_) return false;
  const auto now = Clock::now();
  auto stale = [&](const Queued& q) { return now - q.since > settings_.timeout; };
  while (!queue_.empty() && batch.ops.empty()) {
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    if (stale(q)) {
      batch.expired.push_back(failure(q.op));
    } else {
      batch.ops.push_back(std::move(q.op));
    }
  }
  if (!batch.ops.empty() && std::holds_alternative<core::StoreRequest>(batch.ops.front())) {
    std::size_t entries = std::get<core::StoreRequest>(batch.ops.front()).entries.size();
    for (auto it = queue_.begin(); it != queue_.end() && entries < kMaxGroupEntries;) {
      auto* store = std::get_if<core::StoreRequest>(&it->op);
      if (!store || stale(*it)) {
        ++it;
        continue;
      }
      entries += store->entries.size();
      batch.ops.push_back(std::move(it->op));
      it = queue_.erase(it);
    }
  }
  batch.sweep = !batch.ops.empty() && sweep_.due(now);
  if (batch.sweep) sweep_.started(now);
  return true;
}

std::vector<Completion> Workers::execute(Collection& collection, Batch& batch) {
  const std::int64_t now = sql::unix_now_ms();
  std::vector<Completion> out = std::move(batch.expired);
  if (!batch.ops.empty() && std::holds_alternative<core::StoreRequest>(batch.ops.front())) {
    run_store_group(collection, batch.ops, now, out);
  } else if (!batch.ops.empty()) {
    out.push_back(run_one(collection, batch.ops.front(), now));
  }
  if (batch.sweep) run_sweep(collection, now);
  return out;
}

void Workers::run_store_group(Collection& c, std::vector<Operation>& ops, std::int64_t now,
                                    std::vector<Completion>& out) {
  std::vector<const core::StoreEntry*> entries;
  for (const auto& op : ops)
    for (const auto& e : std::get<core::StoreRequest>(op).entries) entries.push_back(&e);
  bool ok = true;
  if (!entries.empty()) {
    count("BULK_UPSERT");
    count("UPSERT", entries.size());
    ok = c.upsert(entries, now);
    note(ok, c);
  }
  for (const auto& op : ops) {
    Completion done;
    done.id = std::get<core::StoreRequest>(op).id;
    done.status = ok ? core::IoStatus::ok : core::IoStatus::backend_error;
    out.push_back(std::move(done));
  }
}

Completion Workers::run_one(Collection& c, Operation& op, std::int64_t now) {
  Completion done;
  done.id = std::visit([](const auto& r) { return r.id; }, op);
  auto written = [&](bool ok) {
    note(ok, c);
    done.status = ok ? core::IoStatus::ok : core::IoStatus::backend_error;
  };
  std::visit(Overloaded{
                 [&](core::FetchRequest& r) {
                   done.is_fetch = true;
                   count("FIND");
                   const auto found = c.fetch(distinct(r.keys), now);
                   note(found.has_value(), c);
                   if (!found) {
                     done.fetch.status = core::IoStatus::backend_error;
                     return;
                   }
                   for (const auto& k : r.keys) {
                     auto it = found->find(k);
                     done.fetch.values.push_back(it == found->end() ? std::nullopt
                                                                    : std::optional<std::string>(it->second));
                   }
                 },
                 [&](core::StoreRequest&) {},  // stores run as a group
                 [&](core::EraseRequest& r) {
                   const auto keys = distinct(r.keys);
                   if (!keys.empty()) count(keys.size() == 1 ? "DELETE_ONE" : "DELETE_MANY");
                   written(c.erase(keys));
                 },
                 [&](FlushRequest& r) {
                   count("DELETE_PREFIX");
                   written(c.erase_prefix(r.prefix));
                 },
             },
             op);
  return done;
}

void Workers::run_sweep(Collection& c, std::int64_t now) {
  count("DELETE_EXPIRED");
  const auto deleted = c.sweep(now);
  std::lock_guard lock(mutex_);
  sweep_.swept(deleted);
}

// Logs the first failure of a run of failures and the recovery, not every failed operation.
void Workers::note(bool ok, const Collection& c) {
  std::lock_guard lock(mutex_);
  if (ok == !failing_) return;
  failing_ = !ok;
  sql::log_message("mongo", ok ? settings_.display + ": answering again" : settings_.display + ": " + c.error());
}

}  // namespace cacheme::drivers::mongo
