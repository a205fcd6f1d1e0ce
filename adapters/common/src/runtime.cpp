#include "cacheme/adapters/runtime.hpp"

#include <charconv>

#include "cacheme/build_config.hpp"
#include "cacheme/errc.hpp"
#include "storage_factory.hpp"

namespace cacheme::adapters {

core::Now real_now() {
  const auto mono = std::chrono::steady_clock::now().time_since_epoch();
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return {core::Instant(std::chrono::duration_cast<core::Duration>(mono)),
          std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()};
}

Runtime::Runtime(drivers::Reactor& reactor, core::Config config) : reactor_(reactor), cache_(std::move(config)) {}

Runtime::~Runtime() {
  *alive_ = false;
  if (timer_) reactor_.cancel(timer_);
  for (auto& [id, storage] : storages_) storage->close();
}

void Runtime::register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done) {
  auto defer = [this, done](std::error_code ec) { reactor_.post([done, ec] { done(ec); }); };
  auto parsed = parse_storage_url(spec.url);
  if (!parsed) return defer(parsed.error());
  if (cache_.engine().find_storage(name)) return defer(make_error_code(errc::duplicate_name));
  if (parsed->scheme == "local") {
    auto id = cache_.add_local_storage(name, spec.url, cache_.engine().nodes().size() + 1);
    return defer(id ? std::error_code{} : id.error());
  }
  drivers::CompletionSink sink;
  std::weak_ptr<bool> alive = alive_;
  sink.fetched = [this, alive](core::IoId id, core::FetchResult r) {
    if (alive.expired()) return;
    cache_.engine().complete_fetch(id, std::move(r), real_now());
    pump();
  };
  sink.written = [this, alive](core::IoId id, core::IoStatus s) {
    if (alive.expired()) return;
    if (flushes_.count(id)) return finish_flush(id, s);
    cache_.engine().complete_write(id, s, real_now());
    pump();
  };
  auto connected = [this, alive, name, timeout = parsed->timeout, done](Result<std::unique_ptr<drivers::Storage>> s) {
    if (alive.expired()) return;
    if (!s) return done(s.error());
    auto id = cache_.engine().add_remote_storage(name, {timeout});
    if (!id) {
      (*s)->close();
      return done(id.error());
    }
    storages_.emplace(*id, std::move(*s));
    done({});
  };
  if (auto ec = connect_storage(reactor_, parsed->scheme, spec.url, spec.options, std::move(sink), std::move(connected)))
    defer(ec);
}

void Runtime::await_reply(core::Ticket ticket, std::function<void(core::Reply)> on_reply) {
  const std::uint32_t slot = core::slot_of(ticket);
  if (slot >= waiting_.size()) waiting_.resize(std::max<std::size_t>(slot + 1, waiting_.size() * 2));
  waiting_[slot] = {ticket, std::move(on_reply)};
  pump();
}

drivers::Storage* Runtime::storage(std::string_view name) {
  auto id = cache_.engine().find_storage(name);
  if (!id) return nullptr;
  auto it = storages_.find(*id);
  return it == storages_.end() ? nullptr : it->second.get();
}

void Runtime::flush_prefix(std::string_view name, std::string prefix, std::function<void(std::error_code)> done) {
  drivers::Storage* s = storage(name);
  if (!s) {
    reactor_.post([done] { done(make_error_code(errc::unknown_storage)); });
    return;
  }
  const core::IoId id{next_flush_id_++};
  flushes_.emplace(id, std::move(done));
  s->flush_prefix(id, std::move(prefix));
}

void Runtime::finish_flush(core::IoId id, core::IoStatus status) {
  auto done = std::move(flushes_.at(id));
  flushes_.erase(id);
  done(status == core::IoStatus::ok ? std::error_code{} : make_error_code(errc::storage_error));
}

// The pump (cf. quinn's drive_timer): effects to drivers, loads and waiters, then the timer.
// A reply may run user code that submits again; that nested call only marks the pump dirty.
void Runtime::pump() {
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    while (auto effect = cache_.engine().poll_effect()) {
      if (auto* reply = std::get_if<core::Reply>(&*effect)) {
        const std::uint32_t slot = core::slot_of(reply->ticket);
        if (slot >= waiting_.size() || waiting_[slot].ticket != reply->ticket) continue;
        auto deliver = std::move(waiting_[slot].on_reply);
        waiting_[slot] = {};
        deliver(std::move(*reply));
      } else if (auto* load = std::get_if<core::LoadRequest>(&*effect)) {
        start_load(std::move(*load));
      } else {
        std::visit(
            [this](auto& req) {
              using T = std::decay_t<decltype(req)>;
              if constexpr (!std::is_same_v<T, core::Reply> && !std::is_same_v<T, core::LoadRequest>)
                storages_.at(req.tier)->start(std::move(req));
            },
            *effect);
      }
    }
  } while (pump_again_);
  pumping_ = false;
  rearm();
}

void Runtime::rearm() {
  const auto next = cache_.engine().next_deadline();
  if (!next || (armed_at_ && *armed_at_ <= *next)) return;
  if (timer_) reactor_.cancel(timer_);
  armed_at_ = *next;
  const auto delay = std::chrono::ceil<std::chrono::milliseconds>(*next - real_now().mono);
  timer_ = reactor_.call_after(std::max(delay, std::chrono::milliseconds(0)), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    timer_ = 0;
    armed_at_.reset();
    cache_.engine().on_timeout(real_now());
    pump();
  });
}

// Starts every key's loader; the batch completes when the last one answers.
void Runtime::start_load(core::LoadRequest req) {
  struct Batch {
    core::LoadId id;
    std::vector<Result<core::AnyValue>> results;
    std::size_t remaining;
  };
  auto batch = std::make_shared<Batch>(Batch{req.id, {}, req.sources.size()});
  batch->results.resize(req.sources.size(), fail(errc::no_loader));
  std::weak_ptr<bool> alive = alive_;
  for (std::size_t i = 0; i < req.sources.size(); ++i) {
    auto done = [this, alive, batch, i](Result<core::AnyValue> r) {
      if (alive.expired()) return;
      batch->results[i] = std::move(r);
      if (--batch->remaining == 0) {
        cache_.engine().complete_load(batch->id, std::move(batch->results), real_now());
        pump();
      }
    };
    if (const auto* thunk = static_cast<const LoadThunk*>(req.sources[i].get()))
      thunk->start(std::move(done));
    else
      reactor_.post([done] { done(fail(errc::no_loader)); });
  }
}

}  // namespace cacheme::adapters
