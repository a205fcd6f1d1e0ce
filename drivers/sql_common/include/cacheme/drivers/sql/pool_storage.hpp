/// @file pool_storage.hpp
/// The `Storage` of the server-based SQL drivers (postgres, mysql) over their pools, and the
/// steps of `connect_*` they share: checking the URL, failing later, opening the pool.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "cacheme/drivers/reactor.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::sql {

/// A server URL accepted by a pooled driver: its parts and the resolved options.
struct ServerTarget {
  Url url;           ///< the parsed URL
  Settings settings;  ///< its options resolved against `StorageOptions` and the defaults
};

/// Parses `url` for a driver whose URL schemes are `schemes`, then resolves its settings (see
/// `resolve_settings`; the TLS keys of `parse_tls` go to `Settings::extra`; `batch` and
/// `pipeline` to their fields). `default_pipeline` is the backend's depth without `pipeline=`;
/// a backend that cannot pipeline (1) accepts only `pipeline=1`. Fails with `errc::bad_url` on a
/// bad URL, another scheme or a database path with a '/', with `errc::bad_option` on a `batch`
/// outside 1..1024 or a `pipeline` outside 1..64, or with `resolve_settings`' error.
Result<ServerTarget> parse_server_url(std::string_view url, std::initializer_list<std::string_view> schemes,
                                      const StorageOptions& options, std::size_t default_pool_size,
                                      std::size_t default_pipeline = 1);

/// Completes `done` with `ec` from a posted call (never inside the caller).
void fail_later(Reactor& reactor, ConnectDone done, std::error_code ec);

/// A `Storage` forwarding to a shared `Pool` (fetch, store, erase, flush_prefix, abandon, health,
/// counts, close), closed when destroyed.
template <class Pool>
class PoolStorage final : public Storage {
 public:
  /// Forwards every call to `pool` (shared ownership); closes it when destroyed.
  explicit PoolStorage(std::shared_ptr<Pool> pool) : pool_(std::move(pool)) {}
  ~PoolStorage() override { pool_->close(); }

  void start(core::FetchRequest&& req) override { pool_->fetch(std::move(req)); }
  void start(core::StoreRequest req) override { pool_->store(std::move(req)); }
  void start(core::EraseRequest req) override { pool_->erase(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { pool_->flush_prefix(id, std::move(prefix)); }
  void abandon(core::IoId id) override { pool_->abandon(id); }
  StorageHealth health() const override { return pool_->health(); }
  std::map<std::string, std::uint64_t> command_counts() const override { return pool_->counts(); }
  void close() override { pool_->close(); }

 private:
  std::shared_ptr<Pool> pool_;
};

/// Opens `pool` from a posted call, so `done` never runs inside the caller; `done` then gets a
/// `PoolStorage` over it, or the error of `Pool::open` (the pool closed).
template <class Pool>
void open_pool_storage(Reactor& reactor, std::shared_ptr<Pool> pool, ConnectDone done) {
  reactor.post([pool = std::move(pool), done = std::move(done)] {
    pool->open([pool, done](std::error_code ec) {
      if (ec) {
        pool->close();
        return done(fail(ec));
      }
      done(std::unique_ptr<Storage>(std::make_unique<PoolStorage<Pool>>(pool)));
    });
  });
}

}  // namespace cacheme::drivers::sql
