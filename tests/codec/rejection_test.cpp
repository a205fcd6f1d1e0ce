// Untrusted bodies: bombs, truncation, garbage, foreign bytes and values of another shape all
// come back as errc::decode_error, quickly and without allocating what they claim.
#include <catch2/catch.hpp>

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "codec/payload.hpp"

namespace cacheme::codec {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// True when `r` is the error `e`; false (not a crash) when it holds a value.
template <class R>
bool is_error(const R& r, errc e) {
  return !r && r.error() == e;
}
template <class R>
bool refused(const R& r) {
  return is_error(r, errc::decode_error);
}
template <class R>
bool refused_encode(const R& r) {
  return is_error(r, errc::encode_error);
}

// A valid zlib stream of `mib` MiB of zeros, built in milliseconds: deflate emits one
// byte-aligned piece per MiB after Z_SYNC_FLUSH, and once the window is all zeros every further
// MiB can reuse the second piece. The Adler-32 of n zeros is (n mod 65521) << 16 | 1.
std::string zlib_zeros(std::size_t mib) {
  const std::string zeros(kMiB, '\0');
  z_stream s{};
  REQUIRE(deflateInit(&s, 9) == Z_OK);
  const auto piece = [&](const std::string& in, int flush) {
    std::string out(compressBound(static_cast<uLong>(in.size())) + 64, '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uInt>(in.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, flush);
    out.resize(out.size() - s.avail_out);
    return out;
  };
  std::string stream = piece(zeros, Z_SYNC_FLUSH);
  const std::string repeat = piece(zeros, Z_SYNC_FLUSH);
  const std::string tail = piece("", Z_FINISH);
  deflateEnd(&s);
  for (std::size_t i = 1; i < mib; ++i) stream += repeat;
  stream += tail.substr(0, tail.size() - 4);
  const std::uint64_t adler = ((std::uint64_t{mib} * kMiB % 65521) << 16) | 1;
  for (int shift = 24; shift >= 0; shift -= 8) stream += static_cast<char>((adler >> shift) & 0xFF);
  return stream;
}

// A zstd frame of `mib` MiB of zeros that declares its size (or not), streamed from 1 MiB.
std::string zstd_zeros(std::size_t mib, bool declare_size) {
  const std::string zeros(kMiB, '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  if (declare_size) {
    ZSTD_CCtx_setPledgedSrcSize(cctx, mib * kMiB);
  } else {
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  }
  std::string out;
  std::string buffer(ZSTD_CStreamOutSize(), '\0');
  for (std::size_t i = 0; i < mib; ++i) {
    const auto mode = i + 1 == mib ? ZSTD_e_end : ZSTD_e_continue;
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    std::size_t left = 0;
    do {
      ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
      left = ZSTD_compressStream2(cctx, &o, &in, mode);
      out.append(buffer.data(), o.pos);
    } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
  }
  ZSTD_freeCCtx(cctx);
  return out;
}

TEST_CASE("the bomb builders make valid streams", "[codec][bomb]") {
  const auto zlib = decompress(Compression::zlib, zlib_zeros(3), 3 * kMiB);
  REQUIRE(zlib);
  CHECK(*zlib == std::string(3 * kMiB, '\0'));
  const auto zstd = decompress(Compression::zstd, zstd_zeros(3, true), 3 * kMiB);
  REQUIRE(zstd);
  CHECK(*zstd == std::string(3 * kMiB, '\0'));
}

TEST_CASE("a 1 GiB decompression bomb is refused", "[codec][bomb]") {
  const std::string zlib_bomb = zlib_zeros(1024);
  CHECK(zlib_bomb.size() < 2 * kMiB);
  CHECK(refused(decompress(Compression::zlib, zlib_bomb)));
  CHECK(refused(decode<std::string>(Id::raw_zlib, zlib_bomb)));
  CHECK(refused(decode<testing::Record>(Id::json_zlib, zlib_bomb)));

  const std::string zstd_bomb = zstd_zeros(1024, true);
  CHECK(zstd_bomb.size() < kMiB);
  CHECK(refused(decompress(Compression::zstd, zstd_bomb)));  // by its header, before any work
  CHECK(refused(decode<std::string>(Id::raw_zstd, zstd_bomb)));
}

TEST_CASE("the size cap is exact", "[codec][bomb]") {
  const std::string body(1000, 'a');
  for (const Compression c : {Compression::none, Compression::zlib, Compression::zstd}) {
    const std::string packed = *compress(c, body);
    CHECK(decompress(c, packed, 1000));
    CHECK(refused(decompress(c, packed, 999)));
  }
}

TEST_CASE("a zstd frame without its content size is not ours", "[codec][zstd]") {
  const std::string frame = zstd_zeros(1, false);
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  CHECK(refused(decompress(Compression::zstd, frame)));
}

TEST_CASE("truncated compressed bodies are refused at every length", "[codec][truncation]") {
  const auto record = testing::make_record(5, 8);
  for (const Id id : {Id::raw_zlib, Id::raw_zstd, Id::json, Id::json_zlib, Id::json_zstd, Id::msgpack,
                      Id::msgpack_zlib, Id::msgpack_zstd}) {
    const std::string body = format_of(id) == Format::raw ? *encode(id, *encode(Id::json, record)) : *encode(id, record);
    for (std::size_t n = 0; n < body.size(); ++n) {
      INFO(name(id) << " truncated to " << n);
      if (format_of(id) == Format::raw) {
        REQUIRE_FALSE(decode<std::string>(id, body.substr(0, n)));
      } else {
        REQUIRE_FALSE(decode<testing::Record>(id, body.substr(0, n)));
      }
    }
  }
}

TEST_CASE("trailing bytes are refused", "[codec][foreign]") {
  for (const Id id : {Id::json, Id::msgpack, Id::raw_zlib, Id::raw_zstd, Id::json_zstd}) {
    INFO(name(id));
    CHECK(refused(decode<std::string>(id, *encode(id, std::string("v")) + "\x01")));
  }
}

TEST_CASE("another codec's bytes are refused", "[codec][foreign]") {
  const auto record = testing::make_record(6, 3);
  for (const Id writer : kAllIds) {
    if (format_of(writer) == Format::raw) continue;
    const std::string body = *encode(writer, record);
    for (const Id reader : kAllIds) {
      if (reader == writer || format_of(reader) == Format::raw) continue;
      INFO(name(writer) << " read as " << name(reader));
      CHECK(refused(decode<testing::Record>(reader, body)));
    }
  }
}

TEST_CASE("values of another shape are type errors, not crashes", "[codec][type]") {
  for (const Id id : {Id::json, Id::msgpack, Id::msgpack_zstd}) {
    INFO(name(id));
    CHECK(refused(decode<int>(id, *encode(id, std::string("seven")))));
    CHECK(refused(decode<std::string>(id, *encode(id, 7))));
    CHECK(refused(decode<std::vector<int>>(id, *encode(id, std::map<std::string, int>{{"a", 1}}))));
    CHECK(refused(decode<testing::Record>(id, *encode(id, std::vector<int>{1, 2}))));
  }
  CHECK(refused(decode<int>(Id::msgpack, *encode(Id::msgpack, 1.5))));
  CHECK(refused(decode<std::uint8_t>(Id::msgpack, *encode(Id::msgpack, 300))));  // msgpack checks ranges
  CHECK(*decode<std::uint8_t>(Id::json, "300") == 44);  // nlohmann narrows as static_cast does (documented)
  CHECK(refused(decode<testing::Record>(Id::json, R"({"id":1})")));  // missing keys
}

TEST_CASE("JSON refuses what its library cannot read safely", "[codec][json]") {
  CHECK(refused(decode<int>(Id::json, "1 2")));
  CHECK(refused(decode<std::string>(Id::json, "\"\xFF\"")));  // invalid UTF-8
  CHECK(refused_encode(encode(Id::json, std::string("\xFF"))));
  // A float no integer holds: nlohmann would static_cast it (undefined behaviour); refused.
  CHECK(refused(decode<std::int64_t>(Id::json, "1e300")));
  CHECK(refused(decode<double>(Id::json, "1e300")));
  CHECK(refused_encode(encode(Id::json, 1e300)));
  CHECK(*decode<double>(Id::json, "-1e18") == -1e18);
  // Nesting: 64 levels are fine, 65 are refused, a million cost a linear scan.
  CHECK(decode<nlohmann::json>(Id::json, std::string(63, '[') + "[1]" + std::string(63, ']')));
  CHECK(refused(decode<std::vector<int>>(Id::json, std::string(65, '[') + std::string(65, ']'))));
  CHECK(refused(decode<std::vector<int>>(Id::json, std::string(1'000'000, '['))));
  CHECK(decode<std::string>(Id::json, "\"[[[[\\\"[[[\"") == std::string("[[[[\"[[["));  // brackets in strings
}

TEST_CASE("msgpack refuses forged counts and deep nesting", "[codec][msgpack]") {
  // array32 / map32 / str32 / bin32 claiming 4 billion elements in a few bytes
  for (const char* forged : {"\xdd\xff\xff\xff\xff\x01", "\xdf\xff\xff\xff\xff\x01\x01", "\xdb\xff\xff\xff\xffxy",
                             "\xc6\xff\xff\xff\xff\x00"}) {
    CHECK(refused(decode<std::vector<int>>(Id::msgpack, std::string(forged, 6))));
    CHECK(refused(decode<std::string>(Id::msgpack, std::string(forged, 6))));
  }
  // fixarray of one element, nested 10,000 deep
  CHECK(refused(decode<std::vector<int>>(Id::msgpack, std::string(10'000, '\x91') + '\x01')));
  CHECK(refused(decode<int>(Id::msgpack, "")));
  CHECK(refused(decode<int>(Id::msgpack, "\xc1")));  // the one never-used byte
}

TEST_CASE("garbage never decodes and never crashes", "[codec][garbage]") {
  testing::SplitMix64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng.below(300), '\0');
    for (char& c : bytes) c = static_cast<char>(rng.next());
    for (const Id id : kAllIds) {
      if (id == Id::raw) continue;  // any bytes are a valid raw body
      // a Record needs a 4-element array or an object with 4 keys: random bytes are never that
      CHECK_FALSE(decode<testing::Record>(id, bytes));
      (void)decode<std::map<std::string, std::vector<std::optional<double>>>>(id, bytes);
      (void)decode<std::string>(id, bytes);
    }
    CHECK_FALSE(parse_entry(bytes));
  }
}

}  // namespace
}  // namespace cacheme::codec
