#include "store/file_exchange_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/json.h"
#include "store/file_sync.h"

namespace linkhub::store {

namespace {

Error FileError(std::string_view what, const std::string& path, int err) {
  return MakeError(ErrorCode::kInternal, "exchange journal " + path + ": " + std::string(what) +
                                             ": " + std::strerror(err));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Unexpected(FileError("write", path, errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status Flush(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) {
    return Unexpected(FileError("fdatasync", path, errno));
  }
  return OkStatus();
}

int64_t Millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

boost::json::value OptionalJson(const std::optional<std::string>& s) {
  return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

boost::json::object AccountToJson(const domain::LinkedAccount& a) {
  return boost::json::object{
      {"id", a.id},
      {"project_id", a.project_id},
      {"provider", a.provider},
      {"origin_owner_id", a.origin_owner_id},
      {"origin_owner_name", a.origin_owner_name},
      {"origin_username", OptionalJson(a.origin_username)},
      {"label", OptionalJson(a.label)},
      {"type", a.type},
      {"environment", a.environment},
      {"products", ToJsonArray(a.products)},
      {"institution_id", OptionalJson(a.institution_id)},
      {"institution_name", OptionalJson(a.institution_name)},
      {"accounts_json", a.accounts_json},
      {"access_token_sealed", a.access_token_sealed},
      {"item_id_sealed", a.item_id_sealed},
      {"item_id_hash", a.item_id_hash},
      {"connect_session_id", a.connect_session_id ? boost::json::value(*a.connect_session_id)
                                                  : boost::json::value(nullptr)},
      {"created_at_ms", Millis(a.created_at)}};
}

std::optional<domain::LinkedAccount> AccountFromJson(const boost::json::object& o) {
  domain::LinkedAccount a;
  auto s = [&](std::string_view k) { return std::string(GetString(o, k).value_or("")); };
  auto opt = [&](std::string_view k) -> std::optional<std::string> {
    auto v = GetString(o, k);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  a.id = s("id");
  a.project_id = s("project_id");
  a.provider = s("provider");
  a.origin_owner_id = s("origin_owner_id");
  a.origin_owner_name = s("origin_owner_name");
  a.origin_username = opt("origin_username");
  a.label = opt("label");
  a.type = s("type");
  a.environment = s("environment");
  a.products = GetStringList(o, "products");
  a.institution_id = opt("institution_id");
  a.institution_name = opt("institution_name");
  a.accounts_json = s("accounts_json");
  a.access_token_sealed = s("access_token_sealed");
  a.item_id_sealed = s("item_id_sealed");
  a.item_id_hash = s("item_id_hash");
  a.connect_session_id = GetInt(o, "connect_session_id");
  a.created_at = a.updated_at =
      TimePoint(std::chrono::milliseconds(GetInt(o, "created_at_ms").value_or(0)));
  if (a.id.empty() || a.project_id.empty() || a.access_token_sealed.empty() ||
      a.item_id_sealed.empty()) {
    return std::nullopt;
  }
  return a;
}

std::string Line(std::string_view exchange_id, std::string_view type,
                 boost::json::object extra = {}) {
  extra["e"] = exchange_id;
  extra["t"] = type;
  return ToJson(extra) + "\n";
}

// The exchange id of a whole line, or empty for a line that is not a record.
std::string ExchangeOf(std::string_view line) {
  auto v = ParseJson(line);
  if (!v || !v->is_object()) {
    return {};
  }
  return std::string(GetString(v->get_object(), "e").value_or(""));
}

}  // namespace

Result<std::unique_ptr<FileExchangeJournal>> FileExchangeJournal::Open(const std::string& path,
                                                                       size_t compact_at) {
  bool existed = std::filesystem::exists(path);
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unexpected(FileError("open", path, errno));
  }
  std::unique_ptr<FileExchangeJournal> journal(new FileExchangeJournal(path, fd, compact_at));
  if (!existed) {
    LINKHUB_RETURN_IF_ERROR(SyncParentDirectory(path));
  }
  // Read what is there; a torn last line (a write that never returned) is cut off, so that the
  // next record starts on a line of its own.
  std::string content;
  {
    char buf[64 * 1024];
    off_t offset = 0;
    for (;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, offset);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return Unexpected(FileError("read", path, errno));
      }
      if (n == 0) {
        break;
      }
      content.append(buf, static_cast<size_t>(n));
      offset += n;
    }
  }
  size_t whole = content.rfind('\n');
  whole = whole == std::string::npos ? 0 : whole + 1;
  if (whole != content.size()) {
    if (::ftruncate(fd, static_cast<off_t>(whole)) != 0 || ::fdatasync(fd) != 0) {
      return Unexpected(FileError("cut a torn record", path, errno));
    }
    content.resize(whole);
  }
  journal->bytes_ = content.size();
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    std::string line = content.substr(start, end + 1 - start);
    start = end + 1;
    if (std::string id = ExchangeOf(line); !id.empty()) {
      journal->open_[id].push_back(std::move(line));
    }
  }
  return journal;
}

FileExchangeJournal::FileExchangeJournal(std::string path, int fd, size_t compact_at)
    : path_(std::move(path)), compact_at_(compact_at), fd_(fd), bytes_(0) {}

FileExchangeJournal::~FileExchangeJournal() { ::close(fd_); }

Status FileExchangeJournal::Append(std::string_view exchange_id, std::string line) {
  std::lock_guard lock(mu_);
  Status written = WriteAll(fd_, line, path_);
  if (!written) {
    // Cut off whatever part was written, so the next record starts on a line of its own.
    (void)::ftruncate(fd_, static_cast<off_t>(bytes_));
    return written;
  }
  bytes_ += line.size();
  auto it = open_.find(exchange_id);
  if (it == open_.end()) {
    it = open_.emplace(std::string(exchange_id), std::vector<std::string>{}).first;
  }
  it->second.push_back(std::move(line));
  // Once write() returned the record outlives the process (the kernel holds it); the flush
  // makes it outlive a power cut.
  return Flush(fd_, path_);
}

Status FileExchangeJournal::RecordSending(std::string_view exchange_id) {
  return Append(exchange_id, Line(exchange_id, "sending"));
}

Status FileExchangeJournal::RecordAnswer(std::string_view exchange_id,
                                         const domain::LinkedAccount& account) {
  return Append(exchange_id, Line(exchange_id, "answer",
                                  boost::json::object{{"account", AccountToJson(account)}}));
}

Status FileExchangeJournal::RecordRemoved(std::string_view exchange_id) {
  return Append(exchange_id, Line(exchange_id, "removed"));
}

void FileExchangeJournal::Forget(std::string_view exchange_id) {
  std::lock_guard lock(mu_);
  if (auto it = open_.find(exchange_id); it != open_.end()) {
    open_.erase(it);
  }
  if (bytes_ >= compact_at_) {
    // A failed compaction loses nothing: the file still holds every record.
    (void)CompactLocked();
  }
}

Result<std::map<std::string, JournalEntry>> FileExchangeJournal::Read() {
  std::lock_guard lock(mu_);
  std::map<std::string, JournalEntry> out;
  for (const auto& [id, lines] : open_) {
    JournalEntry& entry = out[id];
    for (const auto& line : lines) {
      auto v = ParseJson(line);
      if (!v || !v->is_object()) {
        continue;
      }
      const auto& o = v->get_object();
      auto type = GetString(o, "t").value_or("");
      if (type == "sending") {
        entry.sent = true;
      } else if (type == "answer") {
        entry.sent = true;
        if (const auto* account = GetObject(o, "account")) {
          entry.answer = AccountFromJson(*account);
        }
      } else if (type == "removed") {
        entry.removed = true;
      }
    }
  }
  return out;
}

Status FileExchangeJournal::Compact() {
  std::lock_guard lock(mu_);
  return CompactLocked();
}

Status FileExchangeJournal::CompactLocked() {
  std::string kept;
  for (const auto& [id, lines] : open_) {
    for (const auto& line : lines) {
      kept += line;
    }
  }
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unexpected(FileError("open", tmp, errno));
  }
  Status written = WriteAll(fd, kept, tmp);
  if (written) {
    written = Flush(fd, tmp);
  }
  if (!written) {
    ::close(fd);
    return written;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::close(fd);
    return Unexpected(FileError("rename", tmp, err));
  }
  ::close(fd_);
  fd_ = fd;
  bytes_ = kept.size();
  return SyncParentDirectory(path_);
}

}  // namespace linkhub::store
