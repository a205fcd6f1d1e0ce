// The process-wide table of user codecs (ids 128 to 255). Registered during start-up, read on
// every remote entry of a user codec: a shared lock, taken only for ids in the user range.
#include <array>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "cacheme/codec/codec_id.hpp"
#include "cacheme/codec/user_codec.hpp"

namespace cacheme::codec {
namespace {

struct Registered {
  std::string name;
  std::type_index type;
  ErasedCodec codec;
};

struct Table {
  std::shared_mutex mutex;
  std::array<std::optional<Registered>, 256> by_id;  // indexed by the id; only 128..255 used
};

Table& table() {
  static Table t;  // a function-local static: constructed before its first use, from any TU
  return t;
}

template <class Fn>
auto read(Fn fn) {
  Table& t = table();
  std::shared_lock lock(t.mutex);
  return fn(t.by_id);
}

bool name_taken(const std::array<std::optional<Registered>, 256>& by_id, std::string_view name) {
  for (const Id id : kAllIds)
    if (codec::name(id) == name) return true;
  for (const auto& entry : by_id)
    if (entry && entry->name == name) return true;
  return false;
}

ErasedCodec failing(Id id) {
  return ErasedCodec{id, [](const void*) -> Result<std::string> { return fail(errc::encode_error); },
                     [](std::string_view) -> Result<core::AnyValue> { return fail(errc::decode_error); }};
}

}  // namespace

namespace detail {

Result<void> register_erased(Id id, std::string name, std::type_index type, ErasedCodec codec) {
  if (!is_user_id(id) || name.empty()) return fail(errc::invalid_argument);
  Table& t = table();
  std::unique_lock lock(t.mutex);
  auto& slot = t.by_id[static_cast<std::uint8_t>(id)];
  if (slot || name_taken(t.by_id, name)) return fail(errc::duplicate_name);
  slot.emplace(Registered{std::move(name), type, std::move(codec)});
  return {};
}

ErasedCodec find_user_codec(Id id, std::type_index type) {
  return read([&](const auto& by_id) {
    const auto& slot = by_id[static_cast<std::uint8_t>(id)];
    return is_user_id(id) && slot && slot->type == type ? slot->codec : failing(id);
  });
}

bool user_codec_accepts(Id id, std::type_index type) {
  return read([&](const auto& by_id) {
    const auto& slot = by_id[static_cast<std::uint8_t>(id)];
    return is_user_id(id) && slot && slot->type == type;
  });
}

std::string_view user_codec_name(Id id) {
  // The name's storage lives as long as the process: a codec is never unregistered.
  return read([&](const auto& by_id) -> std::string_view {
    const auto& slot = by_id[static_cast<std::uint8_t>(id)];
    return is_user_id(id) && slot ? std::string_view(slot->name) : std::string_view("unknown");
  });
}

std::optional<Id> find_user_codec_named(std::string_view name) {
  return read([&](const auto& by_id) -> std::optional<Id> {
    for (std::size_t i = kFirstUserId; i < by_id.size(); ++i)
      if (by_id[i] && by_id[i]->name == name) return static_cast<Id>(i);
    return std::nullopt;
  });
}

}  // namespace detail

bool is_registered(Id id) {
  return read([&](const auto& by_id) { return is_user_id(id) && by_id[static_cast<std::uint8_t>(id)].has_value(); });
}

}  // namespace cacheme::codec
