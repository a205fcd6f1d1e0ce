/// @file any_value.hpp
/// The core's type-erased value: typed, immutable and shared. The typed layer knows the type.
#pragma once

#include <memory>

namespace cacheme::core {

/// A value as the engine carries it: a `std::shared_ptr<const T>` with `T` erased. Local tiers
/// hold it as is (no serialization); every reader shares the same immutable object.
using AnyValue = std::shared_ptr<const void>;

}  // namespace cacheme::core
