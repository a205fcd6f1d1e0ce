#include <cxxabi.h>

#include <cstdlib>
#include <memory>

#include "cacheme/node_cache.hpp"

namespace cacheme::detail {

std::string type_name(const std::type_index& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace cacheme::detail
