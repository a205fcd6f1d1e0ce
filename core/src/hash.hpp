// The core's seeded string hash: the same wyhash-style function as the local tier's
// (cacheme/local/hash.hpp), seeded from Config::seed so that an attacker who does not know the
// seed cannot aim keys at one bloom-filter bit or one in-flight table slot.
#pragma once

#include "cacheme/local/hash.hpp"

namespace cacheme::core::detail {

using local::hash_bytes;

}  // namespace cacheme::core::detail
