// The `local://` URL factory: `local://lru?size=N`, `local://tlfu?size=N`.
#include <charconv>
#include <string_view>

#include "cacheme/errc.hpp"
#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/tinylfu_policy.hpp"
#include "local/policy_store.hpp"

namespace cacheme::local {

namespace {

constexpr std::string_view kScheme = "local://";
constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 31;  // node ids are 32-bit

/// Parses `size=N` out of the query; any other option, or a bad N, is `bad_option`.
Result<std::uint64_t> parse_size(std::string_view query) {
  std::optional<std::uint64_t> size;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view option = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = option.find('=');
    if (eq == std::string_view::npos || option.substr(0, eq) != "size") return fail(errc::bad_option);
    const std::string_view text = option.substr(eq + 1);
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n == 0 || n > kMaxSize) return fail(errc::bad_option);
    size = n;
  }
  if (!size) return fail(errc::bad_option);
  return *size;
}

}  // namespace

Result<std::unique_ptr<LocalStore>> make_local_store(std::string_view url, std::uint64_t seed, Weigher weigher) {
  if (!url.starts_with(kScheme)) return fail(errc::bad_url);
  url.remove_prefix(kScheme.size());
  const std::size_t question = url.find('?');
  const std::string_view policy = url.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : url.substr(question + 1);
  if (policy != "lru" && policy != "tlfu") return fail(errc::bad_url);
  const auto size = parse_size(query);
  if (!size) return fail(size.error());
  std::unique_ptr<LocalStore> store;
  if (policy == "lru") {
    store = std::make_unique<detail::PolicyStore<LruPolicy>>(*size, seed, std::move(weigher));
  } else {
    store = std::make_unique<detail::PolicyStore<TinyLfuPolicy>>(*size, seed, std::move(weigher));
  }
  return store;
}

Result<std::unique_ptr<LocalStore>> make_local_store(std::string_view url, std::uint64_t seed) {
  return make_local_store(url, seed, Weigher{});
}

}  // namespace cacheme::local
