/// @file config.hpp
/// Configuration of the engine, its storages and its nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/core/time.hpp"

namespace cacheme::core {

/// Engine-wide settings.
struct Config {
  std::uint64_t seed = 0x9E3779B97F4A7C15ull;  ///< seeds every hash and generator of the core
  std::string prefix = "cacheme";               ///< full key = {prefix}:{key}:{version}
};

/// Settings of one remote storage, as the engine sees it.
struct RemoteOptions {
  Duration timeout = std::chrono::seconds(1);  ///< operation timeout, counted from the effect
};

/// One link of a node's chain: a registered storage name and how long entries live there
/// (absent: as long as the storage keeps them).
struct ChainLink {
  std::string storage{};
  std::optional<Duration> ttl{};
};

/// The doorkeeper of a node: a bloom filter of `capacity` insertions at false-positive rate
/// `false_positive_rate`, cleared after `capacity` insertions.
struct DoorkeeperOptions {
  std::size_t capacity = 100'000;
  double false_positive_rate = 0.01;
};

/// Everything the engine knows of a node.
struct NodeConfig {
  std::string name{};               ///< for `nodes()` and reports
  std::string version{};            ///< last part of the full key
  std::vector<ChainLink> caches{};  ///< read in this order
  codec::ErasedCodec codec{};       ///< values <-> bytes for remote tiers
  std::optional<DoorkeeperOptions> doorkeeper{};
};

}  // namespace cacheme::core
