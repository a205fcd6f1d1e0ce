// The runtime's pump, reply delivery, cancellation of callers and lifetime.
#include "cacheme/adapters/runtime.hpp"

#include <cerrno>
#include <random>

#include "cacheme/errc.hpp"
#include "cacheme/local/hash.hpp"

namespace cacheme::adapters {
namespace {

// One random value per process: hash seeds no client can predict (flooding defence).
std::uint64_t process_random() {
  static const std::uint64_t value = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
  }();
  return value;
}

core::Config seeded(core::Config config) {
  if (!config.fixed_seed) config.seed = local::mix64(config.seed ^ process_random());
  return config;
}

}  // namespace

std::error_code operation_aborted() noexcept { return {ECANCELED, std::system_category()}; }

core::Now real_now() {
  const auto mono = std::chrono::steady_clock::now().time_since_epoch();
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return {core::Instant(std::chrono::duration_cast<core::Duration>(mono)),
          std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()};
}

Runtime::Runtime(drivers::Reactor& reactor, core::Config config, ExceptionSink on_exception)
    : reactor_(reactor),
      seed_(seeded(config).seed),
      cache_([&] {
        config.seed = seed_;
        return std::move(config);
      }()),
      on_exception_(on_exception ? std::make_shared<const ExceptionSink>(std::move(on_exception)) : nullptr) {}

Runtime::~Runtime() {
  *alive_ = false;
  if (timer_) reactor_.cancel(timer_);
  for (auto& [id, batch] : std::exchange(loads_, {})) cancel_batch(*batch);
  for (auto& [id, storage] : storages_) storage->close();
  // Nothing is dropped: replies already known go out as they are, the rest aborted.
  core::detail::FifoQueue<Delivery> last = std::move(ready_);
  const core::Reply aborted{{}, operation_aborted(), {}};
  for (Waiting& w : waiting_)
    if (w.on_reply) last.push_back({std::move(w.on_reply), core::Reply{w.ticket, operation_aborted(), {}}});
  for (auto& [id, done] : registrations_) last.push_back({[fn = done](core::Reply& r) { fn(r.error); }, aborted});
  for (auto& [id, done] : flushes_) last.push_back({[fn = done](core::Reply& r) { fn(r.error); }, aborted});
  for (; !last.empty(); last.pop_front()) {
    Delivery& d = last.front();
    try {
      d.on_reply(d.reply);
    } catch (...) {  // a destructor must not throw: hand it over, or drop it
      if (on_exception_) (*on_exception_)(std::current_exception());
    }
  }
}

void Runtime::await_reply(core::Ticket ticket, ReplyHandler on_reply) {
  const std::uint32_t slot = core::slot_of(ticket);
  if (slot >= waiting_.size()) waiting_.resize(std::max<std::size_t>(slot + 1, waiting_.size() * 2));
  waiting_[slot].ticket = ticket;
  waiting_[slot].on_reply = std::move(on_reply);
  pump();
}

bool Runtime::cancel(core::Ticket ticket) {
  const std::uint32_t slot = core::slot_of(ticket);
  if (slot >= waiting_.size() || waiting_[slot].ticket != ticket || !waiting_[slot].on_reply) return false;
  auto on_reply = std::move(waiting_[slot].on_reply);
  waiting_[slot] = {};
  engine().cancel(ticket);
  ready_.push_back({std::move(on_reply), core::Reply{ticket, operation_aborted(), {}}});
  schedule_delivery();
  pump();  // the engine may cancel a load nobody waits for any more
  return true;
}

// The pump (cf. quinn's drive_timer): effects to drivers and loads, replies to the delivery
// queue, then the timer. It runs no user code but loaders' starts and cancels (which catch
// what they throw), so it never re-enters through a handler; a nested call (a loader
// completing at once) only marks it dirty. The flag is reset however the pump is left.
void Runtime::pump() {
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  struct Guard {
    Runtime& rt;
    ~Guard() { rt.pumping_ = rt.pump_again_ = false; }
  } guard{*this};
  pumping_ = true;
  do {
    pump_again_ = false;
    while (auto effect = engine().poll_effect()) {
      if (auto* reply = std::get_if<core::Reply>(&*effect)) {
        queue_reply(std::move(*reply));
      } else if (auto* load = std::get_if<core::LoadRequest>(&*effect)) {
        start_load(std::move(*load));
      } else if (auto* cancel = std::get_if<core::CancelLoad>(&*effect)) {
        cancel_load(cancel->id);
      } else if (auto* abandoned = std::get_if<core::AbandonIo>(&*effect)) {
        storages_.at(abandoned->tier)->abandon(abandoned->id);
      } else {
        std::visit(
            [this](auto& req) {
              if constexpr (requires { storages_.at(req.tier)->start(std::move(req)); })
                storages_.at(req.tier)->start(std::move(req));
            },
            *effect);
        engine().recycle(std::move(*effect));  // a fetch's keys, once sent
      }
    }
    publish_erased();
  } while (pump_again_);
  if (!ready_.empty()) schedule_delivery();
  rearm();
}

void Runtime::queue_reply(core::Reply reply) {
  const std::uint32_t slot = core::slot_of(reply.ticket);
  if (slot >= waiting_.size() || waiting_[slot].ticket != reply.ticket || !waiting_[slot].on_reply) return;
  ready_.push_back({std::move(waiting_[slot].on_reply), std::move(reply)});
  waiting_[slot] = {};
}

// A registration's or flush's `done`, delivered like a reply (never inside a driver callback).
void Runtime::queue_done(std::function<void(std::error_code)> done, std::error_code ec) {
  ready_.push_back({[done = std::move(done)](core::Reply& r) { done(r.error); }, core::Reply{{}, ec, {}}});
  schedule_delivery();
}

void Runtime::schedule_delivery() {
  if (delivery_scheduled_) return;
  delivery_scheduled_ = true;
  reactor_.post([this, alive = std::weak_ptr<bool>(alive_)] {
    if (!is_alive(alive)) return;
    delivery_scheduled_ = false;
    deliver_ready();
  });
}

// Hands each queued reply to its caller. A handler may destroy the runtime (then nothing of it
// is touched again) or throw (the rest is delivered by a new task, and the exception goes to
// the sink, or up through the reactor to the loop's caller).
void Runtime::deliver_ready() {
  const std::shared_ptr<bool> alive = alive_;
  const std::shared_ptr<const ExceptionSink> sink = on_exception_;
  while (!ready_.empty()) {
    Delivery d = std::move(ready_.front());
    ready_.pop_front();
    try {
      d.on_reply(d.reply);
    } catch (...) {
      if (*alive && !ready_.empty()) schedule_delivery();
      if (!sink) throw;
      (*sink)(std::current_exception());
      return;
    }
    if (!*alive) return;
    engine().recycle(std::move(d.reply));
  }
}

void Runtime::rearm() {
  const auto next = engine().next_deadline();
  if (!next || (armed_at_ && *armed_at_ <= *next)) return;
  if (timer_) reactor_.cancel(timer_);
  armed_at_ = *next;
  const auto delay = std::chrono::ceil<std::chrono::milliseconds>(*next - real_now().mono);
  timer_ = reactor_.call_after(std::max(delay, std::chrono::milliseconds(0)), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!is_alive(alive)) return;
    timer_ = 0;
    armed_at_.reset();
    engine().on_timeout(real_now());
    pump();
  });
}

}  // namespace cacheme::adapters
