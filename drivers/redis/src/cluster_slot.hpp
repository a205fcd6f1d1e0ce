// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its {hash tag}, modulo 16,384.
#pragma once

#include <cstdint>
#include <string_view>

namespace cacheme::drivers::redis::detail {

/// Slots of a Redis Cluster (the spec's 16384).
inline constexpr std::uint16_t kSlotCount = 16384;

/// CRC16-CCITT as the cluster spec defines it (XMODEM: polynomial 0x1021, init 0, no reflection);
/// `crc16_xmodem("123456789") == 0x31C3`.
std::uint16_t crc16_xmodem(std::string_view bytes) noexcept;

/// The part of `key` that is hashed: the text between the first `{` and the next `}` when it is
/// not empty (a hash tag, so `{user1}:a` and `{user1}:b` share a slot), else the whole key.
std::string_view hash_tag(std::string_view key) noexcept;

/// The slot `key` belongs to, in [0, kSlotCount).
std::uint16_t key_slot(std::string_view key) noexcept;

}  // namespace cacheme::drivers::redis::detail
