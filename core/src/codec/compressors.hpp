// Private: the two compression libraries behind compression.cpp's dispatch.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cacheme/result.hpp"

namespace cacheme::codec::detail {

Result<std::string> zlib_compress(std::string_view input, int level);
Result<std::string> zlib_decompress(std::string_view input, std::size_t max_size);

Result<std::string> zstd_compress(std::string_view input, int level);
Result<std::string> zstd_decompress(std::string_view input, std::size_t max_size);

}  // namespace cacheme::codec::detail
