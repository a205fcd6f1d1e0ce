// libFuzzer: a user codec (codec/user_codec.hpp) on untrusted bytes, as the engine runs it: the
// body through the registered codec's decode, and the bytes as a whole entry (header + CRC).
// Decoding must never crash, hang or overallocate; a body that decodes must re-encode, and its
// re-encoding must be stable.
//
// The codec comes from the header CACHEME_FUZZ_USER_CODEC (default: the example's Point codec,
// fuzzed_point_codec.hpp), which defines in namespace `fuzzed`: `Value`, `kId`, and
// `register_codec()`. To fuzz your own codec, write such a header and build this file with
// -DCACHEME_FUZZ_USER_CODEC='"my_codec_fuzz.hpp"'.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "cacheme/codec/codec.hpp"

#ifndef CACHEME_FUZZ_USER_CODEC
#define CACHEME_FUZZ_USER_CODEC "fuzzed_point_codec.hpp"
#endif
#include CACHEME_FUZZ_USER_CODEC

using namespace cacheme::codec;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!fuzzed::register_codec()) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ErasedCodec codec = make_codec<fuzzed::Value>(fuzzed::kId);
  if (auto value = codec.decode(bytes)) {
    const auto again = codec.encode(value->get());
    if (!again) std::abort();
    const auto back = codec.decode(*again);
    const auto twice = back ? codec.encode(back->get()) : decltype(again){};
    if (!twice || *twice != *again) std::abort();
  }
  if (auto entry = parse_entry_as(fuzzed::kId, bytes)) (void)codec.decode(entry->body);
  return 0;
}
