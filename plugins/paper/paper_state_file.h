// The paper venue's state file: a log of whole changes, rewritten from a snapshot as it grows.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tradehost/decimal.h"
#include "tradehost/venue.h"

namespace tradehost::paper {

// One position book as kept: the signed quantity, and the opening fills since it was last flat.
struct SavedBook {
    std::string symbol;
    PositionSide positionSide = PositionSide::Both;
    Decimal quantity;
    Decimal openQuantity;
    Decimal openCost;
};

// A symbol's last price, and the deployment's price for it when this one was kept (absent when the
// deployment had none), so that a price the deployment changed since wins over the kept one.
struct SavedPrice {
    std::string symbol;
    Decimal price;
    std::optional<Decimal> configured;
};

// What one venue call changed or, as a snapshot, the whole state. Applied whole or not at all.
struct StateChange {
    std::vector<SavedPrice> prices;
    std::vector<OrderState> orders;  // by exchange id (decimal digits): a new order, or its new state
    std::vector<SavedBook> books;    // a zero quantity means flat
    std::optional<std::uint64_t> nextExchangeId;
};

// The file is text: a header line, then changes, each a group of lines closed by a line that
// counts them and carries their checksum. A snapshot is one change. Every change is appended with
// one write() before the call that made it returns, and a rewrite goes to <path>.tmp first and is
// renamed over the file, so a process killed at any point (kill -9 included) leaves every change
// it answered for, whole. A change cut short by the kill (its call never answered) is dropped on
// load. Nothing is fsync'ed: the page cache outlives the process, not the machine, so a power loss
// may lose the latest changes or the file; the paper venue does not promise to survive one.
//
// Not thread-safe: the venue calls it under its own lock.
class PaperStateFile {
public:
    explicit PaperStateFile(std::string path) : path_(std::move(path)) {}
    ~PaperStateFile();
    PaperStateFile(const PaperStateFile&) = delete;
    PaperStateFile& operator=(const PaperStateFile&) = delete;

    const std::string& path() const { return path_; }

    struct LoadReport {
        bool found = false;        // false: no file, nothing was applied
        std::size_t changes = 0;   // applied
        bool droppedTail = false;  // an unfinished last change was dropped
    };
    // Reads the file and calls `apply` with each complete change, in order. No file is not an
    // error (found is false). Throws std::runtime_error naming the file, and the line where it
    // applies, when the file cannot be read or is not a state file this version wrote whole, and
    // when `apply` throws (its message is kept). Opens nothing for writing.
    LoadReport load(const std::function<void(const StateChange&)>& apply);

    // True once rewrite() succeeded and no append has failed beyond repair since: append() works.
    bool writable() const { return fd_ >= 0 && broken_.empty(); }
    // Replaces the file by the header and `snapshot`, through <path>.tmp (mode 0600) renamed over
    // it; later appends go to the new file. Returns why it failed, empty on success; on failure the
    // file is unchanged.
    std::string rewrite(const StateChange& snapshot);
    // Appends `change` with one write(). Returns why it failed, empty on success; on failure the
    // file is cut back to its last whole change, and if even that fails, writable() is false
    // until the next successful rewrite().
    std::string append(const StateChange& change);
    std::size_t appendsSinceRewrite() const { return appends_; }

private:
    std::string path_;
    int fd_ = -1;
    off_t size_ = 0;  // up to the end of the last whole change
    std::size_t appends_ = 0;
    std::string broken_;
};

}  // namespace tradehost::paper
