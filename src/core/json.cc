#include "core/json.h"

#include <array>
#include <bit>
#include <boost/json/src.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

namespace linkhub {

Result<boost::json::value> ParseJson(std::string_view text, size_t max_depth) {
  boost::json::parse_options opts;
  opts.max_depth = max_depth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, opts);
  if (ec) {
    return Unexpected(MakeError(ErrorCode::kInvalidArgument, "is not valid JSON"));
  }
  return v;
}

namespace {

// Finds the first key an object of a document holds twice, without building the document.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    objects_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s);
    bool fresh = objects_.back().insert(key_).second;
    if (!fresh) {
      duplicate = std::move(key_);
      ec = boost::json::error::syntax;  // stops the parse
    }
    key_.clear();
    return fresh;
  }
  bool on_string_part(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, std::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  std::vector<std::set<std::string, std::less<>>> objects_;
  std::string key_;
};

}  // namespace

Result<boost::json::value> ParseJsonUniqueKeys(std::string_view text, size_t max_depth) {
  LINKHUB_ASSIGN_OR_RETURN(boost::json::value v, ParseJson(text, max_depth));
  boost::json::parse_options opts;
  opts.max_depth = max_depth;
  boost::json::basic_parser<DuplicateKeyFinder> finder(opts);
  boost::system::error_code ec;
  finder.write_some(false, text.data(), text.size(), ec);
  if (const auto& key = finder.handler().duplicate) {
    return Unexpected(
        MakeError(ErrorCode::kInvalidArgument,
                  "holds the key \"" + key->substr(0, 64) + "\" twice in one object"));
  }
  return v;
}

namespace {

void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view s(buf, static_cast<size_t>(end - buf));
  out += s;
  // Keep integral doubles recognisable as numbers with a fraction-free form ("110"), as JSON
  // allows.
  (void)ec;
}

// The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
// nothing past U+10FFFF), or 0 when there is none.
size_t Utf8Length(const unsigned char* p, size_t left) {
  auto cont = [&](size_t i) { return i < left && (p[i] & 0xC0) == 0x80; };
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) {
      return 0;  // overlong, or a surrogate
    }
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) {
      return 0;  // overlong, or past U+10FFFF
    }
    return 4;
  }
  return 0;
}

// The high bit of each byte of `word` (eight bytes as loaded on a little-endian machine) that is
// a quote, a backslash, a control character or not ASCII. Only the lowest marked byte is exact
// (a borrow may mark bytes above it), which is all the caller uses.
uint64_t BytesToLookAt(uint64_t word) {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  auto zero_bytes = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  return (word & kHigh) | ((word - 0x20 * kOnes) & ~word & kHigh) |
         zero_bytes(word ^ (0x22 * kOnes)) | zero_bytes(word ^ (0x5c * kOnes));
}

}  // namespace

// Bytes that are not well-formed UTF-8 (a percent-decoded path echoed in a message, say) become
// U+FFFD, so that every document written is valid UTF-8.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.push_back('"');
  // Copy runs of characters that need no escaping in one go: most strings are a single run.
  // 1: escape; 2: the start of a multi-byte sequence (or a stray byte), to check.
  static constexpr auto kClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) {
      t[static_cast<size_t>(c)] = 1;
    }
    t['"'] = t['\\'] = 1;
    for (int c = 0x80; c < 0x100; ++c) {
      t[static_cast<size_t>(c)] = 2;
    }
    return t;
  }();
  const auto* data = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;
  for (size_t i = 0; i < n; ++i) {
    // Eight bytes at a time while none of them needs a look: a JSON document quoted whole (an
    // MCP tool's text) is mostly plain runs between quotes.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, data + i, 8);
      uint64_t marked = BytesToLookAt(word);
      if (marked == 0) {
        i += 8;
        continue;
      }
      i += static_cast<size_t>(std::countr_zero(marked)) / 8;
      break;
    }
    if (i >= n) {
      break;
    }
    unsigned char c = data[i];
    uint8_t kind = kClass[c];
    if (kind == 0) {
      continue;
    }
    if (kind == 2) {
      if (size_t len = Utf8Length(data + i, n - i); len > 0) {
        i += len - 1;  // well-formed: stays in the run
        continue;
      }
      out.append(s.data() + run, i - run);
      out.append(kReplacement);
      run = i + 1;
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

namespace {

void Append(std::string& out, const boost::json::value& v, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent >= 0) {
      out.push_back('\n');
      out.append(static_cast<size_t>(d) * static_cast<size_t>(indent), ' ');
    }
  };
  switch (v.kind()) {
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (const auto& kv : o) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        newline(depth + 1);
        AppendJsonString(out, kv.key());
        out += indent >= 0 ? ": " : ":";
        Append(out, kv.value(), indent, depth + 1);
      }
      newline(depth);
      out.push_back('}');
      return;
    }
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < a.size(); ++i) {
        if (i > 0) {
          out.push_back(',');
        }
        newline(depth + 1);
        Append(out, a[i], indent, depth + 1);
      }
      newline(depth);
      out.push_back(']');
      return;
    }
    case boost::json::kind::double_:
      AppendDouble(out, v.get_double());
      return;
    case boost::json::kind::string:
      AppendJsonString(out, v.get_string());
      return;
    case boost::json::kind::int64: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.get_int64());
      out.append(buf, end);
      return;
    }
    case boost::json::kind::uint64: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.get_uint64());
      out.append(buf, end);
      return;
    }
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::null:
      out += "null";
      return;
  }
}

}  // namespace

std::string ToJson(const boost::json::value& v) {
  std::string out;
  out.reserve(512);  // most documents are small; past this, the string grows geometrically
  Append(out, v, -1, 0);
  return out;
}

std::string ToPrettyJson(const boost::json::value& v) {
  std::string out;
  Append(out, v, 2, 0);
  return out;
}

const boost::json::value* Find(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::optional<std::string_view> GetString(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  return std::string_view(v->get_string());
}

std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  if (v->is_double() && std::abs(v->get_double()) < 9.2e18 &&
      v->get_double() == std::trunc(v->get_double())) {
    return static_cast<int64_t>(v->get_double());  // 50.0 is the integer 50
  }
  return std::nullopt;
}

std::optional<bool> GetBool(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  if (v == nullptr || !v->is_bool()) {
    return std::nullopt;
  }
  return v->get_bool();
}

const boost::json::object* GetObject(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const boost::json::array* GetArray(const boost::json::object& o, std::string_view key) {
  const auto* v = Find(o, key);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

std::vector<std::string> GetStringList(const boost::json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* a = GetArray(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string()) {
        out.emplace_back(v.get_string());
      }
    }
  }
  return out;
}

boost::json::array ToJsonArray(const std::vector<std::string>& strings) {
  boost::json::array a;
  a.reserve(strings.size());
  for (const auto& s : strings) {
    a.emplace_back(s);
  }
  return a;
}

}  // namespace linkhub
