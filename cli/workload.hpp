/// @file workload.hpp
/// Generated workloads for `cacheme-bench sim`, named by a spec string, so that a sweep can
/// test a policy on a change of regime as well as on a steady stream:
///
/// - `zipf:s=1.0001,v=10,imax=50000000,requests=1000000`: a steady Zipf stream;
/// - `hotshift:hot=1000,period=50000,share=0.8,cold=1000000,requests=1000000`: `share` of the
///   requests go to a hot set of `hot` keys (uniformly), the others to `cold` keys (uniformly);
///   every `period` requests the hot set moves to `hot` keys never used before;
/// - `scanzipf:s=1.0001,v=10,imax=1000000,period=20000,length=5000,requests=1000000`: a Zipf
///   stream in which, every `period` requests, a scan of `length` keys never requested before runs.
///
/// Parameters left out keep the defaults shown; the seed comes from `sim --seed`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cacheme::cli {

/// A generated trace: its spec with every parameter written out, and its keys.
struct Workload {
  std::string name;
  std::vector<std::uint64_t> keys;
};

/// Generates the workload of `spec` with `seed`; throws `TraceError` on a bad spec.
Workload generate_workload(const std::string& spec, std::uint64_t seed);

}  // namespace cacheme::cli
