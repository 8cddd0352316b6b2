// Where the Telegram sink keeps how far each split alert got, so a host restart does not resend delivered parts.
#include "progress_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace tradehost::telegram {

namespace {

std::string encodeId(const std::string& id) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : id) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == '%' || c >= 0x7F) {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += ch;
        }
    }
    return out;
}

bool decodeId(const std::string& text, std::string& id) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    id.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            id += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return false;
        const int high = hex(text[i + 1]);
        const int low = hex(text[i + 2]);
        if (high < 0 || low < 0) return false;
        id += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return true;
}

bool writeAll(int fd, const std::string& data) {
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

std::vector<ProgressEntry> ProgressFile::load() {
    std::vector<ProgressEntry> entries;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        ProgressEntry entry;
        std::string id;
        if (!(fields >> entry.parts >> entry.delivered >> id)) continue;  // a torn or foreign line
        if (entry.delivered == 0 || entry.delivered >= entry.parts) continue;
        if (!decodeId(id, entry.alertId)) continue;
        entries.push_back(std::move(entry));
    }
    return entries;
}

bool ProgressFile::save(const std::vector<ProgressEntry>& entries) {
    std::string text;
    for (const auto& e : entries)
        text += std::to_string(e.parts) + " " + std::to_string(e.delivered) + " " + encodeId(e.alertId) + "\n";
    const std::string temporary = path_ + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const bool ok = writeAll(fd, text) && ::fdatasync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(temporary.c_str(), path_.c_str()) != 0) return false;
    const std::size_t slash = path_.find_last_of('/');
    const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
    return true;
}

}  // namespace tradehost::telegram
