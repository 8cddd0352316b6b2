// A minimal streaming JSON writer for the emulators: fields come out in the order the real service sends them, int64s
// stay exact.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tradehost::tools {

class JsonWriter {
public:
    JsonWriter& beginObject() { return open('{'); }
    JsonWriter& endObject() { return close('}'); }
    JsonWriter& beginArray() { return open('['); }
    JsonWriter& endArray() { return close(']'); }

    JsonWriter& key(std::string_view name) {
        separate();
        appendString(name);
        out_ += ':';
        afterKey_ = true;
        return *this;
    }

    JsonWriter& value(std::string_view s) {
        return scalar([&] { appendString(s); });
    }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(std::int64_t n) {
        return scalar([&] { out_ += std::to_string(n); });
    }
    JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
    JsonWriter& value(bool b) {
        return scalar([&] { out_ += b ? "true" : "false"; });
    }
    JsonWriter& null() {
        return scalar([&] { out_ += "null"; });
    }
    // A number whose text is already valid JSON (e.g. a rate such as 0.05).
    JsonWriter& raw(std::string_view text) {
        return scalar([&] { out_ += text; });
    }

    template <typename T>
    JsonWriter& field(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }
    JsonWriter& nullField(std::string_view name) { return key(name).null(); }

    const std::string& str() const { return out_; }

private:
    JsonWriter& open(char c) {
        separate();
        out_ += c;
        first_.push_back(true);
        return *this;
    }
    JsonWriter& close(char c) {
        out_ += c;
        first_.pop_back();
        return *this;
    }
    template <typename F>
    JsonWriter& scalar(F&& emit) {
        separate();
        emit();
        return *this;
    }
    // Inside an object the comma goes before the key, so a value right after a key needs none.
    void separate() {
        if (afterKey_) {
            afterKey_ = false;
            return;
        }
        if (!first_.empty()) {
            if (!first_.back()) out_ += ',';
            first_.back() = false;
        }
    }
    void appendString(std::string_view s) {
        out_ += '"';
        for (const char c : s) {
            switch (c) {
                case '"':
                    out_ += "\\\"";
                    break;
                case '\\':
                    out_ += "\\\\";
                    break;
                case '\n':
                    out_ += "\\n";
                    break;
                case '\r':
                    out_ += "\\r";
                    break;
                case '\t':
                    out_ += "\\t";
                    break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                        out_ += buf;
                    } else {
                        out_ += c;
                    }
            }
        }
        out_ += '"';
    }

    std::string out_;
    std::vector<bool> first_;
    bool afterKey_ = false;
};

}  // namespace tradehost::tools
