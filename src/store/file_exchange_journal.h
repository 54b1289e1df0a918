#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/exchange_journal.h"

namespace linkhub::store {

// ExchangeJournal in an append-only file of JSON lines, each write flushed with fdatasync(2)
// before it returns. A line torn by a crash (its write never returned) is cut off when the file
// is opened. The file is rewritten (to a temporary file, flushed, then renamed over it) when it
// outgrows `compact_at` bytes and at start-up, keeping only exchanges not forgotten. Holds only
// sealed values and ids. Thread-safe; one process per file (the serve lock sees to that).
class FileExchangeJournal final : public ExchangeJournal {
 public:
  // Opens (creating with mode 0600) the journal at `path`.
  static Result<std::unique_ptr<FileExchangeJournal>> Open(const std::string& path,
                                                           size_t compact_at = 1 << 20);
  ~FileExchangeJournal() override;
  FileExchangeJournal(const FileExchangeJournal&) = delete;
  FileExchangeJournal& operator=(const FileExchangeJournal&) = delete;

  Status RecordSending(std::string_view exchange_id) override;
  Status RecordAnswer(std::string_view exchange_id, const domain::LinkedAccount& account) override;
  Status RecordRemoved(std::string_view exchange_id) override;
  void Forget(std::string_view exchange_id) override;
  Result<std::map<std::string, JournalEntry>> Read() override;
  Status Compact() override;

 private:
  FileExchangeJournal(std::string path, int fd, size_t compact_at);
  Status Append(std::string_view exchange_id, std::string line);
  Status CompactLocked();

  const std::string path_;
  const size_t compact_at_;
  std::mutex mu_;
  int fd_;            // guarded by mu_
  size_t bytes_;      // the file's size; guarded by mu_
  int flushing_ = 0;  // Append()s flushing fd_ outside mu_; guarded by mu_
  // The lines of every exchange not forgotten, in the order written; guarded by mu_.
  std::map<std::string, std::vector<std::string>, std::less<>> open_;
};

}  // namespace linkhub::store
