// Where the Telegram sink keeps how far each split alert got, so a host restart does not resend delivered parts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tradehost::telegram {

struct ProgressEntry {
    std::string alertId;
    std::size_t parts = 0;
    std::size_t delivered = 0;
};

class ProgressStore {
public:
    virtual ~ProgressStore() = default;
    virtual std::vector<ProgressEntry> load() = 0;
    // Replaces what is stored; false when it could not be made durable.
    virtual bool save(const std::vector<ProgressEntry>& entries) = 0;
};

// One line per entry, "<parts> <delivered> <alert id, percent-encoded>", replaced as a whole
// (write to a temporary file, fsync, rename, fsync the directory). A missing or unreadable file
// loads as empty: the worst case is parts sent twice, never an alert lost.
class ProgressFile final : public ProgressStore {
public:
    explicit ProgressFile(std::string path) : path_(std::move(path)) {}
    std::vector<ProgressEntry> load() override;
    bool save(const std::vector<ProgressEntry>& entries) override;

private:
    std::string path_;
};

}  // namespace tradehost::telegram
