// The runtime's storages: registration by URL (cancellable), lookups and the benchmark's flush.
#include "cacheme/adapters/password_source.hpp"
#include "cacheme/adapters/runtime.hpp"
#include "cacheme/errc.hpp"
#include "storage_factory.hpp"

namespace cacheme::adapters {
namespace {
constexpr std::size_t kMaxPoolSize = 10'000;  // connections per storage: more is a typo, not a plan
}  // namespace

drivers::CompletionSink Runtime::make_sink() {
  drivers::CompletionSink sink;
  std::weak_ptr<bool> alive = alive_;
  // Inside a driver's batch the completions share one clock read and one pump (at its end).
  sink.fetched = [this, alive](core::IoId id, const core::FetchResult& r) {
    if (!is_alive(alive)) return;
    engine().complete_fetch(id, r, in_batch_ ? batch_now_ : real_now());
    if (!in_batch_) pump();
  };
  sink.written = [this, alive](core::IoId id, core::IoStatus s) {
    if (!is_alive(alive)) return;
    if (flushes_.count(id)) return finish_flush(id, s);
    engine().complete_write(id, s, in_batch_ ? batch_now_ : real_now());
    if (!in_batch_) pump();
  };
  sink.batch = [this, alive](bool begin) {
    if (!is_alive(alive)) return;
    in_batch_ = begin;
    if (begin)
      batch_now_ = real_now();
    else
      pump();
  };
  return sink;
}

std::uint64_t Runtime::register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done) {
  const std::uint64_t id = next_registration_++;
  registrations_.emplace(id, std::move(done));
  auto defer = [this, id](std::error_code ec) {
    reactor_.post([this, id, ec, alive = std::weak_ptr<bool>(alive_)] {
      if (is_alive(alive)) finish_registration(id, ec);
    });
    return id;
  };
  auto url = resolve_password_source(spec.url);  // password_file= / password_env=
  if (!url) return defer(url.error());
  spec.url = std::move(*url);
  auto parsed = parse_storage_url(spec.url);
  if (!parsed) return defer(parsed.error());
  if (spec.options.pool_size > kMaxPoolSize) return defer(make_error_code(errc::bad_option));
  if (engine().find_storage(name)) return defer(make_error_code(errc::duplicate_name));
  if (parsed->scheme == "local") {
    auto tier = cache_.add_local_storage(name, spec.url, seed_ + ++local_stores_);
    return defer(tier ? std::error_code{} : tier.error());
  }
  auto on_connected = [this, id, name, timeout = parsed->timeout, invalidation = parsed->invalidation,
                       url = spec.url, alive = std::weak_ptr<bool>(alive_)](Result<std::unique_ptr<drivers::Storage>> s) {
    if (!is_alive(alive)) {
      if (s) (*s)->close();
      return;
    }
    connected(id, name, timeout, invalidation, url, std::move(s));
  };
  if (auto ec = connect_storage(reactor_, parsed->scheme, spec.url, spec.options, make_sink(), std::move(on_connected)))
    return defer(ec);
  return id;
}

// A storage connected (or failed to). If its registration was cancelled meanwhile, it is
// closed and forgotten.
void Runtime::connected(std::uint64_t id, std::string name, core::Duration timeout, bool invalidation,
                        const std::string& url, Result<std::unique_ptr<drivers::Storage>> s) {
  if (!registrations_.count(id)) {
    if (s) (*s)->close();
    return;
  }
  if (!s) return finish_registration(id, s.error());
  auto tier = engine().add_remote_storage(name, {timeout, invalidation});
  if (!tier) {
    (*s)->close();
    return finish_registration(id, tier.error());
  }
  storages_.emplace(*tier, std::move(*s));
  if (invalidation)
    if (auto ec = open_channel(*tier, url)) return finish_registration(id, ec);
  finish_registration(id, {});
}

void Runtime::finish_registration(std::uint64_t id, std::error_code ec) {
  const auto it = registrations_.find(id);
  if (it == registrations_.end()) return;  // cancelled: its caller was answered already
  auto done = std::move(it->second);
  registrations_.erase(it);
  queue_done(std::move(done), ec);
}

bool Runtime::cancel_registration(std::uint64_t id) {
  const auto it = registrations_.find(id);
  if (it == registrations_.end()) return false;
  auto done = std::move(it->second);
  registrations_.erase(it);
  queue_done(std::move(done), operation_aborted());
  return true;
}

drivers::Storage* Runtime::storage(std::string_view name) {
  auto id = engine().find_storage(name);
  if (!id) return nullptr;
  auto it = storages_.find(*id);
  return it == storages_.end() ? nullptr : it->second.get();
}

std::optional<drivers::StorageHealth> Runtime::storage_health(std::string_view name) const {
  auto id = cache_.engine().find_storage(name);
  if (!id) return std::nullopt;
  auto it = storages_.find(*id);
  if (it == storages_.end()) return std::nullopt;
  return it->second->health();
}

void Runtime::flush_prefix(std::string_view name, std::string prefix, std::function<void(std::error_code)> done) {
  drivers::Storage* s = storage(name);
  if (!s) return queue_done(std::move(done), make_error_code(errc::unknown_storage));
  const core::IoId id{next_flush_id_++};
  flushes_.emplace(id, std::move(done));
  s->flush_prefix(id, std::move(prefix));
}

void Runtime::finish_flush(core::IoId id, core::IoStatus status) {
  auto done = std::move(flushes_.at(id));
  flushes_.erase(id);
  queue_done(std::move(done), status == core::IoStatus::ok ? std::error_code{} : make_error_code(errc::storage_error));
}

}  // namespace cacheme::adapters
