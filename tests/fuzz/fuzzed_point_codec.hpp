// The codec user_codec_fuzz.cpp fuzzes by default: the example's Point codec.
#pragma once

#include "point_codec.hpp"

namespace fuzzed {
using Value = point::Point;
inline constexpr cacheme::codec::Id kId = point::kCodecId;
inline cacheme::Result<void> register_codec() { return point::register_codec(); }
}  // namespace fuzzed
