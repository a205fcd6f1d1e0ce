// The Prometheus text exposition format 0.0.4: one `# HELP` and `# TYPE` line per family, then
// its samples, all together (a family may not be split); histograms as cumulative `_bucket`
// samples with `le`, then `_sum` and `_count`.
#include "cacheme/adapters/metrics.hpp"

#include <charconv>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace cacheme {
namespace {

/// Label pairs, already in order.
using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// Label values escape backslash, double quote and line feed (the format's only escapes).
void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

void append_number(std::string& out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc{} ? end : buf);
}

void append_number(std::string& out, std::uint64_t v) { out += std::to_string(v); }

/// The families being written, in first-use order, each gathering its samples.
class Exposition {
 public:
  void counter(std::string_view name, std::string_view help, const Labels& labels, std::uint64_t v) {
    sample(family(name, help, "counter"), name, labels, v);
  }
  void gauge(std::string_view name, std::string_view help, const Labels& labels, std::uint64_t v) {
    sample(family(name, help, "gauge"), name, labels, v);
  }
  void histogram(std::string_view name, std::string_view help, const Labels& labels,
                 const core::DurationHistogram& h) {
    std::string& out = family(name, help, "histogram");
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
      cumulative += h.counts()[i];
      std::string le = "+Inf";
      if (i < h.bounds().size()) {
        le.clear();
        append_number(le, std::chrono::duration<double>(h.bounds()[i]).count());
      }
      Labels with_le = labels;
      with_le.emplace_back("le", le);
      sample(out, bucket, with_le, cumulative);
    }
    std::string line = std::string(name) + "_sum";
    write_labels(line, labels);
    line += ' ';
    append_number(line, static_cast<double>(h.sum_ns()) / 1e9);
    out += line + '\n';
    sample(out, std::string(name) + "_count", labels, h.count());
  }

  std::string text() const {
    std::string out;
    for (const std::string& name : order_) out += families_.at(name);
    return out;
  }

 private:
  std::string& family(std::string_view name, std::string_view help, std::string_view type) {
    auto it = families_.find(name);
    if (it != families_.end()) return it->second;
    order_.emplace_back(name);
    std::string head = "# HELP " + std::string(name) + ' ' + std::string(help) + "\n# TYPE " + std::string(name) + ' ' +
                       std::string(type) + '\n';
    return families_.emplace(std::string(name), std::move(head)).first->second;
  }

  static void write_labels(std::string& out, const Labels& labels) {
    if (labels.empty()) return;
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      out.append(labels[i].first).append("=\"");
      append_escaped(out, labels[i].second);
      out += '"';
    }
    out += '}';
  }

  static void sample(std::string& out, std::string_view name, const Labels& labels, std::uint64_t v) {
    out.append(name);
    write_labels(out, labels);
    out += ' ';
    append_number(out, v);
    out += '\n';
  }

  std::map<std::string, std::string, std::less<>> families_;
  std::vector<std::string> order_;
};

void node_metrics(Exposition& x, const std::string& node, const core::NodeStats& s) {
  const Labels l{{"node", node}};
  x.counter("cacheme_requests_total", "Keys asked for.", l, s.requests);
  x.counter("cacheme_hits_total", "Keys found in a tier or shared from a flight.", l, s.hits);
  x.counter("cacheme_coalesced_total", "Requests that attached to a flight in progress.", l, s.coalesced);
  x.counter("cacheme_loads_total", "Keys loaded from the source, by outcome.", {{"node", node}, {"outcome", "success"}},
            s.load_successes);
  x.counter("cacheme_loads_total", "Keys loaded from the source, by outcome.", {{"node", node}, {"outcome", "failure"}},
            s.load_failures);
  x.counter("cacheme_load_timeouts_total", "Loads that passed their deadline.", l, s.load_timeouts);
  x.counter("cacheme_loads_cancelled_total", "Loads cancelled because every caller gave up.", l, s.loads_cancelled);
  x.counter("cacheme_remote_invalidations_total", "Keys whose local copies another process's invalidation dropped.",
            l, s.remote_invalidations);
  x.counter("cacheme_local_clears_total", "Local tiers cleared after invalidations may have been missed.", l,
            s.local_clears);
  x.counter("cacheme_stale_served_total", "Requests answered with a stale value (fail-safe, soft timeout).", l,
            s.stale_served);
  x.counter("cacheme_fail_safe_total", "Failed or timed-out loads replaced by a stale value.", l, s.fail_safe);
  x.counter("cacheme_negative_hits_total", "Requests answered not_found from a cached negative entry.", l,
            s.negative_hits);
  x.counter("cacheme_early_refreshes_total", "Background loads started by early refresh before expiry.", l,
            s.early_refreshes);
  x.counter("cacheme_loads_queued_total", "Loads that waited for a slot (max_concurrent_loads).", l, s.loads_queued);
  x.histogram("cacheme_load_duration_seconds", "Time from a load's start to its completion, per key.", l, s.load_time);
  for (const core::TierStats& t : s.tiers) {
    const Labels lt{{"node", node}, {"storage", t.storage}};
    x.counter("cacheme_tier_hits_total", "Values found in this tier.", lt, t.hits);
    x.counter("cacheme_tier_misses_total", "Keys this tier did not have.", lt, t.misses);
    x.counter("cacheme_tier_errors_total", "Failed operations, timeouts included.", lt, t.errors);
    x.counter("cacheme_tier_timeouts_total", "Operations that timed out.", lt, t.timeouts);
    x.counter("cacheme_tier_overloaded_total", "Operations refused by an overloaded storage.", lt, t.overloaded);
    x.counter("cacheme_tier_decode_errors_total", "Values present but damaged, foreign or undecodable.", lt,
              t.decode_errors);
  }
}

void local_metrics(Exposition& x, const std::string& storage, const local::LocalStore& store) {
  const Labels l{{"storage", storage}};
  x.gauge("cacheme_local_entries", "Entries in the local storage.", l, store.size());
  x.gauge("cacheme_local_capacity", "Capacity of the local storage.", l, store.capacity());
  x.gauge("cacheme_local_memory_bytes", "Bytes held by the local storage's own structures.", l, store.memory_bytes());
  const char* help = "How long entries lived before eviction or expiry.";
  x.histogram("cacheme_local_entry_lifetime_seconds", help, {{"storage", storage}, {"reason", "evicted"}},
              store.lifetimes().evicted);
  x.histogram("cacheme_local_entry_lifetime_seconds", help, {{"storage", storage}, {"reason", "expired"}},
              store.lifetimes().expired);
}

void engine_metrics(Exposition& x, const core::Engine& engine) {
  for (const core::NodeInfo& n : engine.nodes()) node_metrics(x, n.name, engine.stats(n.id));
  for (const core::StorageInfo& s : engine.storages())
    if (const local::LocalStore* store = engine.local_store(s.id)) local_metrics(x, s.name, *store);
}

void storage_metrics(Exposition& x, const std::string& name, const drivers::Storage& storage) {
  const Labels l{{"storage", name}};
  const drivers::StorageHealth h = storage.health();
  x.gauge("cacheme_storage_connections", "Connections (or workers) the storage holds.", l, h.connections);
  x.gauge("cacheme_storage_connections_up", "Of which usable now.", l, h.connections_up);
  x.gauge("cacheme_storage_outstanding", "Operations started and not yet completed.", l, h.outstanding);
  x.counter("cacheme_storage_reconnects_total", "Connections re-established after a loss.", l, h.reconnects);
  x.counter("cacheme_storage_connection_timeouts_total", "Connections closed because a reply was overdue.", l,
            h.connection_timeouts);
  x.counter("cacheme_storage_abandoned_total", "Operations the core gave up on.", l, h.abandoned);
  x.counter("cacheme_storage_overloaded_total", "Operations refused at once as overloaded.", l, h.overloaded);
  for (const auto& [command, count] : storage.command_counts())
    x.counter("cacheme_storage_commands_total", "Commands sent, by name.", {{"storage", name}, {"command", command}},
              count);
}

void channel_metrics(Exposition& x, const std::string& name, const drivers::InvalidationChannel& channel) {
  const Labels l{{"storage", name}};
  const drivers::InvalidationCounts c = channel.counts();
  x.counter("cacheme_invalidations_published_total", "Erases announced to other processes.", l, c.published);
  x.counter("cacheme_invalidations_received_total", "Erases announced by other processes.", l, c.received);
  x.counter("cacheme_invalidations_dropped_total", "Announcements lost: the queue was full while disconnected.", l,
            c.dropped);
  x.gauge("cacheme_invalidation_subscribed", "1 while the invalidation channel is subscribed.", l, c.subscribed);
}

}  // namespace

std::string metrics_text(const core::Engine& engine) {
  Exposition x;
  engine_metrics(x, engine);
  return x.text();
}

std::string metrics_text(adapters::Runtime& runtime) {
  Exposition x;
  engine_metrics(x, runtime.engine());
  for (const core::StorageInfo& s : runtime.engine().storages()) {
    if (s.local) continue;
    if (const drivers::Storage* storage = runtime.storage(s.name)) storage_metrics(x, s.name, *storage);
    if (const auto* channel = runtime.invalidation_channel(s.name)) channel_metrics(x, s.name, *channel);
  }
  return x.text();
}

}  // namespace cacheme
