// The paper venue's state file: a log of whole changes, rewritten from a snapshot as it grows.
#include "paper_state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace tradehost::paper {

namespace {

// Lines of a change:
//   P <symbol> <price> <configured price or ->
//   B <symbol> <position side> <quantity> <open quantity> <open cost>
//   O <exchange id> <client order id> <symbol> <side> <type> <position side> <status> <quantity>
//     <filled quantity> <average price> <limit price or -> <reduce-only 0|1> <update time ms>
//   N <next exchange id>
//   C <number of lines above> <FNV-1a 32 of those lines, 8 hex digits>
constexpr std::string_view kHeader = "tradehost-paper-state 1";
constexpr std::string_view kHeaderPrefix = "tradehost-paper-state ";

std::string errnoText() { return std::strerror(errno); }

// Tokens are separated by spaces; anything outside the id alphabet is written as %XX, and an
// empty string as "~" (which is itself escaped when it is data).
bool plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '/' || c == '-';
}

void putToken(std::string& out, const std::string& text) {
    out += ' ';
    if (text.empty()) {
        out += '~';
        return;
    }
    static const char* kHex = "0123456789ABCDEF";
    for (const char c : text) {
        if (plain(c)) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        }
    }
}

void putDecimal(std::string& out, const Decimal& value) {
    out += ' ';
    out += value.toString();
}

std::uint32_t fnv1a(std::string_view text) {
    std::uint32_t hash = 2166136261u;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619u;
    }
    return hash;
}

std::string hex8(std::uint32_t value) {
    char buffer[9];
    std::snprintf(buffer, sizeof buffer, "%08x", value);
    return buffer;
}

std::string encode(const StateChange& change) {
    std::string out;
    std::size_t lines = 0;
    for (const SavedPrice& p : change.prices) {
        out += 'P';
        putToken(out, p.symbol);
        putDecimal(out, p.price);
        out += p.configured ? " " + p.configured->toString() : std::string(" -");
        out += '\n';
        ++lines;
    }
    for (const OrderState& o : change.orders) {
        out += "O ";
        out += o.exchangeOrderId;
        putToken(out, o.clientOrderId);
        putToken(out, o.symbol);
        out += ' ';
        out += toString(o.side);
        out += ' ';
        out += toString(o.type);
        out += ' ';
        out += toString(o.positionSide);
        out += ' ';
        out += toString(o.status);
        putDecimal(out, o.quantity);
        putDecimal(out, o.filledQuantity);
        putDecimal(out, o.averagePrice);
        out += o.price ? " " + o.price->toString() : std::string(" -");
        out += o.reduceOnly ? " 1 " : " 0 ";
        out += std::to_string(o.updateTimeMs);
        out += '\n';
        ++lines;
    }
    for (const SavedBook& b : change.books) {
        out += 'B';
        putToken(out, b.symbol);
        out += ' ';
        out += toString(b.positionSide);
        putDecimal(out, b.quantity);
        putDecimal(out, b.openQuantity);
        putDecimal(out, b.openCost);
        out += '\n';
        ++lines;
    }
    if (change.nextExchangeId) {
        out += "N " + std::to_string(*change.nextExchangeId) + "\n";
        ++lines;
    }
    return out + "C " + std::to_string(lines) + " " + hex8(fnv1a(out)) + "\n";
}

// ---- reading -------------------------------------------------------------------------------

// A line's problem; load() adds the file and the line number.
struct BadLine : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string_view> split(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start <= line.size()) {
        const std::size_t end = std::min(line.find(' ', start), line.size());
        fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    return fields;
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string token(std::string_view field, const char* what) {
    if (field == "~") return "";
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (plain(c)) {
            out += c;
            continue;
        }
        if (c != '%' || i + 2 >= field.size() || hexDigit(field[i + 1]) < 0 || hexDigit(field[i + 2]) < 0)
            throw BadLine(std::string("bad ") + what + " '" + std::string(field) + "'");
        out += static_cast<char>(hexDigit(field[i + 1]) * 16 + hexDigit(field[i + 2]));
        i += 2;
    }
    if (out.empty()) throw BadLine(std::string("empty ") + what);
    return out;
}

Decimal decimal(std::string_view field, const char* what) {
    const std::optional<Decimal> value = Decimal::parse(field);
    if (!value) throw BadLine(std::string("bad ") + what + " '" + std::string(field) + "'");
    return *value;
}

std::optional<Decimal> optionalDecimal(std::string_view field, const char* what) {
    if (field == "-") return std::nullopt;
    return decimal(field, what);
}

template <class Int>
Int integer(std::string_view field, const char* what) {
    Int value{};
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc() || end != field.data() + field.size())
        throw BadLine(std::string("bad ") + what + " '" + std::string(field) + "'");
    return value;
}

// One of the values an SDK enum prints as.
template <class Enum, std::size_t N>
Enum named(std::string_view field, const Enum (&values)[N], const char* what) {
    for (const Enum value : values)
        if (field == toString(value)) return value;
    throw BadLine(std::string("bad ") + what + " '" + std::string(field) + "'");
}

constexpr Side kSides[] = {Side::Buy, Side::Sell};
constexpr OrderType kTypes[] = {OrderType::Market, OrderType::Limit};
constexpr PositionSide kPositionSides[] = {PositionSide::Both, PositionSide::Long, PositionSide::Short};
constexpr OrderStatus kStatuses[] = {OrderStatus::New,      OrderStatus::PartiallyFilled, OrderStatus::Filled,
                                     OrderStatus::Canceled, OrderStatus::Expired,         OrderStatus::Rejected};

void needFields(const std::vector<std::string_view>& f, std::size_t n) {
    if (f.size() != n)
        throw BadLine("a '" + std::string(f[0]) + "' line has " + std::to_string(f.size()) + " fields, not " +
                      std::to_string(n));
}

void decodeLine(std::string_view line, StateChange& change) {
    const std::vector<std::string_view> f = split(line);
    if (f[0] == "P") {
        needFields(f, 4);
        change.prices.push_back({token(f[1], "symbol"), decimal(f[2], "price"), optionalDecimal(f[3], "price")});
    } else if (f[0] == "B") {
        needFields(f, 6);
        change.books.push_back({token(f[1], "symbol"), named(f[2], kPositionSides, "position side"),
                                decimal(f[3], "quantity"), decimal(f[4], "quantity"), decimal(f[5], "cost")});
    } else if (f[0] == "O") {
        needFields(f, 14);
        OrderState o;
        o.exchangeOrderId = std::to_string(integer<std::uint64_t>(f[1], "exchange order id"));
        o.clientOrderId = token(f[2], "client order id");
        o.symbol = token(f[3], "symbol");
        o.side = named(f[4], kSides, "side");
        o.type = named(f[5], kTypes, "order type");
        o.positionSide = named(f[6], kPositionSides, "position side");
        o.status = named(f[7], kStatuses, "status");
        o.quantity = decimal(f[8], "quantity");
        o.filledQuantity = decimal(f[9], "filled quantity");
        o.averagePrice = decimal(f[10], "average price");
        o.price = optionalDecimal(f[11], "price");
        if (f[12] != "0" && f[12] != "1") throw BadLine("bad reduce-only flag '" + std::string(f[12]) + "'");
        o.reduceOnly = f[12] == "1";
        o.updateTimeMs = integer<std::int64_t>(f[13], "update time");
        change.orders.push_back(std::move(o));
    } else if (f[0] == "N") {
        needFields(f, 2);
        change.nextExchangeId = integer<std::uint64_t>(f[1], "next exchange id");
    } else {
        throw BadLine("unknown line '" + std::string(line.substr(0, 40)) + "'");
    }
}

std::string readAll(const std::string& path, bool& found) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            found = false;
            return "";
        }
        throw std::runtime_error("paper: cannot read the state file " + path + ": " + errnoText());
    }
    found = true;
    std::string text;
    struct stat st {};
    const bool statted = ::fstat(fd, &st) == 0;
    if (!statted || !S_ISREG(st.st_mode)) {
        const std::string why = statted ? "not a regular file" : errnoText();
        ::close(fd);
        throw std::runtime_error("paper: cannot read the state file " + path + ": " + why);
    }
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = errnoText();
            ::close(fd);
            throw std::runtime_error("paper: cannot read the state file " + path + ": " + why);
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// Writes all of `text`, or returns why not.
std::string writeAll(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoText();
        }
        done += static_cast<std::size_t>(n);
    }
    return "";
}

}  // namespace

PaperStateFile::~PaperStateFile() {
    if (fd_ >= 0) ::close(fd_);
}

PaperStateFile::LoadReport PaperStateFile::load(const std::function<void(const StateChange&)>& apply) {
    LoadReport report;
    const std::string text = readAll(path_, report.found);
    if (!report.found) return report;
    const auto corrupt = [&](std::size_t lineNo, const std::string& why) {
        return std::runtime_error("paper: the state file " + path_ + " is corrupt" +
                                  (lineNo ? " at line " + std::to_string(lineNo) : std::string()) + ": " + why +
                                  "; refusing to start flat. Move the file away to start with no positions and no "
                                  "open orders");
    };

    const std::size_t headerEnd = text.find('\n');
    const std::string_view header = std::string_view(text).substr(0, headerEnd);
    if (headerEnd == std::string::npos || header != kHeader) {
        if (text.empty()) throw corrupt(0, "it is empty (a whole file starts with '" + std::string(kHeader) + "')");
        if (header.substr(0, kHeaderPrefix.size()) == kHeaderPrefix && headerEnd != std::string::npos)
            throw std::runtime_error("paper: the state file " + path_ + " was written by another version ('" +
                                     std::string(header) + "'; this one reads '" + std::string(kHeader) + "')");
        throw corrupt(1, "not a paper state file (it does not start with '" + std::string(kHeader) + "')");
    }

    std::size_t lineNo = 1;
    std::size_t groupStart = headerEnd + 1;  // offset of the current change's first line
    std::size_t groupLines = 0;
    std::size_t at = groupStart;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        if (end == std::string::npos) break;  // an unfinished line: the tail below
        const std::string_view line(text.data() + at, end - at);
        ++lineNo;
        if (line.substr(0, 2) != "C ") {
            ++groupLines;
            at = end + 1;
            continue;
        }
        const std::vector<std::string_view> f = split(line);
        const std::string_view lines(text.data() + groupStart, at - groupStart);
        try {
            if (f.size() != 3) throw BadLine("a 'C' line has " + std::to_string(f.size()) + " fields, not 3");
            if (integer<std::size_t>(f[1], "line count") != groupLines)
                throw BadLine("the change closed here has " + std::to_string(groupLines) + " lines, but says " +
                              std::string(f[1]));
            if (f[2] != hex8(fnv1a(lines)))
                throw BadLine("the checksum of the change closed here is " + hex8(fnv1a(lines)) + ", but it says " +
                              std::string(f[2]));
        } catch (const BadLine& e) {
            throw corrupt(lineNo, e.what());
        }
        StateChange change;
        std::size_t first = lineNo - groupLines;
        for (std::size_t offset = 0; offset < lines.size(); ++first) {
            const std::size_t next = lines.find('\n', offset);
            try {
                decodeLine(lines.substr(offset, next - offset), change);
            } catch (const BadLine& e) {
                throw corrupt(first, e.what());
            }
            offset = next + 1;
        }
        try {
            apply(change);
        } catch (const std::exception& e) {
            throw std::runtime_error("paper: the state file " + path_ + ", the change closed at line " +
                                     std::to_string(lineNo) + ": " + e.what());
        }
        ++report.changes;
        at = end + 1;
        groupStart = at;
        groupLines = 0;
    }
    // Whatever follows the last whole change was being written when the process died: its call
    // never answered, so the change is dropped as if it had never been made.
    report.droppedTail = groupStart < text.size();
    return report;
}

std::string PaperStateFile::rewrite(const StateChange& snapshot) {
    const std::string tmp = path_ + ".tmp";
    const std::string text = std::string(kHeader) + "\n" + encode(snapshot);
    // O_APPEND: once renamed, this descriptor is the file every later change is appended to.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return "cannot create " + tmp + ": " + errnoText();
    std::string why;
    // The mode given to open() is cut by the umask, and a leftover file keeps its own.
    if (::fchmod(fd, 0600) != 0) why = "cannot set mode 0600 on " + tmp + ": " + errnoText();
    if (why.empty()) {
        why = writeAll(fd, text);
        if (!why.empty()) why = "cannot write " + tmp + ": " + why;
    }
    if (why.empty() && ::rename(tmp.c_str(), path_.c_str()) != 0)
        why = "cannot rename " + tmp + " to " + path_ + ": " + errnoText();
    if (!why.empty()) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return why;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    size_ = static_cast<off_t>(text.size());
    appends_ = 0;
    broken_.clear();
    return "";
}

std::string PaperStateFile::append(const StateChange& change) {
    if (fd_ < 0) return "the state file " + path_ + " is not open for writing";
    if (!broken_.empty()) return broken_;
    const std::string text = encode(change);
    const std::string why = writeAll(fd_, text);
    if (why.empty()) {
        size_ += static_cast<off_t>(text.size());
        ++appends_;
        return "";
    }
    const std::string failure = "cannot append to the state file " + path_ + ": " + why;
    // A part of the change may be in the file; the next change must not follow it.
    if (::ftruncate(fd_, size_) != 0)
        broken_ = failure + "; cutting it back failed too (" + errnoText() + "), so nothing is kept until a rewrite";
    return failure;
}

}  // namespace tradehost::paper
