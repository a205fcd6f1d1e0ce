#include "cacheme/errc.hpp"

namespace cacheme {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cacheme"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::unknown_io: return "completion for an unknown operation";
      case errc::unknown_storage: return "storage is not registered";
      case errc::unknown_node: return "unknown node";
      case errc::duplicate_name: return "name already registered";
      case errc::storage_error: return "storage error";
      case errc::storage_timeout: return "storage timed out";
      case errc::decode_error: return "stored value cannot be decoded";
      case errc::encode_error: return "value cannot be encoded";
      case errc::load_failed: return "load from the source failed";
      case errc::no_loader: return "node has no loader";
      case errc::cancelled: return "request cancelled";
      case errc::bad_url: return "malformed storage URL or unknown scheme";
      case errc::bad_option: return "invalid option";
      case errc::bad_key: return "key not accepted by the storage";
      case errc::connect_failed: return "cannot connect to the storage";
      case errc::schema_missing: return "cache table does not exist";
      case errc::invalid_argument: return "invalid argument";
      case errc::load_timeout: return "load from the source timed out";
      case errc::overloaded: return "storage overloaded: too many operations outstanding";
      case errc::not_found: return "the source has no value for the key";
    }
    return "unknown cacheme error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace cacheme
