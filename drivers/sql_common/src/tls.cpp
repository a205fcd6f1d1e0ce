// The TLS options of the SQL URLs: checked here, so a typo is a clear error at registration and
// not an obscure handshake failure later.
#include "cacheme/drivers/sql/tls.hpp"

#include <algorithm>
#include <fstream>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::drivers::sql {
namespace {

std::string option(const Settings& settings, const char* key) {
  auto it = settings.extra.find(key);
  return it == settings.extra.end() ? std::string() : it->second;
}

bool readable(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

Result<TlsOptions> parse_tls(const Settings& settings, std::string_view backend,
                             std::span<const std::string_view> modes) {
  TlsOptions tls{option(settings, "sslmode"), option(settings, "sslrootcert"), option(settings, "sslcert"),
                 option(settings, "sslkey")};
  auto reject = [backend](const std::string& why) {
    log_message(backend, "bad TLS option: " + why);
    return fail(errc::bad_option);
  };
  if (!tls.mode.empty() && std::find(modes.begin(), modes.end(), tls.mode) == modes.end()) {
    std::string allowed;
    for (auto m : modes) allowed += (allowed.empty() ? "" : ", ") + std::string(m);
    return reject("sslmode=" + tls.mode + " (expected one of " + allowed + ")");
  }
  for (const auto* file : {&tls.root_cert, &tls.cert, &tls.key})
    if (!file->empty() && !readable(*file)) return reject("cannot read " + *file);
  if (tls.cert.empty() != tls.key.empty()) return reject("sslcert and sslkey go together");
  if (tls.mode.rfind("verify-", 0) == 0 && tls.root_cert.empty())
    return reject("sslmode=" + tls.mode + " needs sslrootcert (the CA file)");
  return tls;
}

}  // namespace cacheme::drivers::sql
