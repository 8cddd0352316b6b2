// Reads HTTP/1.1 requests out of a connection's bytes, incrementally and within strict limits.
#include "intake/http/request_reader.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tradehost::host {
namespace {

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
    return true;
}

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar); }

std::string_view trimBlanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits a comma-separated header value into its trimmed, non-empty elements.
std::vector<std::string_view> elements(std::string_view value) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = value.find(',', start);
        const std::string_view e =
            trimBlanks(value.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (!e.empty()) out.push_back(e);
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

bool allDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (equalsIgnoreCase(n, name)) return &v;
    return nullptr;
}

std::optional<std::string> HttpRequest::joinedHeader(std::string_view name) const {
    std::optional<std::string> out;
    for (const auto& [n, v] : headers) {
        if (!equalsIgnoreCase(n, name)) continue;
        out = out ? *out + ", " + v : v;
    }
    return out;
}

void HttpRequestReader::reset() {
    state_ = State::RequestLine;
    request_ = HttpRequest{};
    error_ = HttpError{};
    line_.clear();
    headerBytes_ = 0;
    bodyLeft_ = 0;
    expectContinue_ = false;
    continueSent_ = false;
}

HttpRequestReader::Status HttpRequestReader::fail(int status, std::string message, std::string field) {
    state_ = State::Failed;
    error_ = {status, std::move(message), std::move(field)};
    return Status::Failed;
}

bool HttpRequestReader::takeLine(std::string_view data, std::size_t& pos, std::string& line, bool& tooLong) {
    const std::size_t nl = data.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? data.size() : nl;
    line.append(data.substr(pos, end - pos));
    pos = nl == std::string_view::npos ? data.size() : nl + 1;
    tooLong = line.size() > limits_.maxLineBytes + 1;  // + the CR of a CRLF
    if (nl == std::string_view::npos) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tooLong = line.size() > limits_.maxLineBytes;
    return true;
}

bool HttpRequestReader::parseRequestLine(const std::string& line) {
    const std::size_t a = line.find(' ');
    const std::size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (a == std::string::npos || b == std::string::npos || line.find(' ', b + 1) != std::string::npos) {
        fail(400, "malformed request line (METHOD TARGET HTTP/1.1)", "request");
        return false;
    }
    request_.method = line.substr(0, a);
    request_.target = line.substr(a + 1, b - a - 1);
    const std::string version = line.substr(b + 1);
    if (!isToken(request_.method) || request_.method.size() > 32 || request_.target.empty()) {
        fail(400, "malformed request line (METHOD TARGET HTTP/1.1)", "request");
        return false;
    }
    if (version == "HTTP/1.1") {
        request_.minorVersion = 1;
    } else if (version == "HTTP/1.0") {
        request_.minorVersion = 0;
    } else if (version.rfind("HTTP/", 0) == 0) {
        fail(505, "only HTTP/1.1 and HTTP/1.0 are spoken here", "request");
        return false;
    } else {
        fail(400, "malformed request line (METHOD TARGET HTTP/1.1)", "request");
        return false;
    }
    for (const char c : request_.target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            fail(400, "the request target has a control character or a space", "request");
            return false;
        }
    }
    // origin-form "/path?query", or absolute-form "http://host[:port]/path?query" (RFC 9112 §3.2).
    std::string_view path = request_.target;
    if (path.front() != '/') {
        const std::size_t scheme = path.find("://");
        if (scheme == std::string_view::npos ||
            !(equalsIgnoreCase(path.substr(0, scheme), "http") || equalsIgnoreCase(path.substr(0, scheme), "https"))) {
            fail(400, "the request target is not a path (e.g. /webhook)", "request");
            return false;
        }
        const std::size_t slash = path.find('/', scheme + 3);
        path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
    request_.path = std::string(path.substr(0, path.find_first_of("?#")));
    request_.keepAlive = request_.minorVersion == 1;
    return true;
}

bool HttpRequestReader::parseHeaderLine(const std::string& line) {
    if (line.front() == ' ' || line.front() == '\t') {
        fail(400, "obsolete line folding in the headers is not accepted", "headers");
        return false;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || !isToken(std::string_view(line).substr(0, colon))) {
        fail(400, "malformed header line (name: value, no blank before the colon)", "headers");
        return false;
    }
    const std::string_view value = trimBlanks(std::string_view(line).substr(colon + 1));
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            fail(400, "header " + line.substr(0, colon) + " has a control character", line.substr(0, colon));
            return false;
        }
    }
    if (request_.headers.size() >= limits_.maxHeaders) {
        fail(431, "more than " + std::to_string(limits_.maxHeaders) + " header fields", "headers");
        return false;
    }
    request_.headers.emplace_back(line.substr(0, colon), std::string(value));
    return true;
}

bool HttpRequestReader::startBody() {
    std::string transferCodings;
    std::vector<std::string_view> lengths;
    int hosts = 0;
    for (const auto& [name, value] : request_.headers) {
        if (equalsIgnoreCase(name, "Transfer-Encoding")) {
            transferCodings += (transferCodings.empty() ? "" : ",") + value;
        } else if (equalsIgnoreCase(name, "Content-Length")) {
            const auto parts = elements(value);
            if (parts.empty()) lengths.emplace_back("");
            lengths.insert(lengths.end(), parts.begin(), parts.end());
        } else if (equalsIgnoreCase(name, "Host")) {
            ++hosts;
        } else if (equalsIgnoreCase(name, "Connection")) {
            for (const auto token : elements(value)) {
                if (equalsIgnoreCase(token, "close")) request_.keepAlive = false;
                if (equalsIgnoreCase(token, "keep-alive") && request_.minorVersion == 0) request_.keepAlive = true;
            }
        } else if (equalsIgnoreCase(name, "Expect")) {
            if (!equalsIgnoreCase(value, "100-continue")) {
                fail(417, "the only expectation understood is 100-continue", "Expect");
                return false;
            }
            expectContinue_ = true;
        }
    }
    // RFC 9112 §3.2: exactly one Host in an HTTP/1.1 request.
    if ((request_.minorVersion == 1 && hosts == 0) || hosts > 1) {
        fail(400, hosts == 0 ? "the Host header is missing" : "more than one Host header", "Host");
        return false;
    }
    // RFC 9112 §6.3: Content-Length with Transfer-Encoding, or Content-Lengths that disagree, are
    // how requests get smuggled past a proxy; both are refused, not resolved.
    if (!transferCodings.empty() && !lengths.empty()) {
        fail(400, "both Content-Length and Transfer-Encoding", "body");
        return false;
    }
    if (!transferCodings.empty()) {
        const auto codings = elements(transferCodings);
        if (request_.minorVersion == 0) {
            fail(400, "Transfer-Encoding in an HTTP/1.0 request", "Transfer-Encoding");
            return false;
        }
        // RFC 9112 §6.1: a coding the server does not implement is 501; only plain chunked is.
        if (codings.size() != 1 || !equalsIgnoreCase(codings.front(), "chunked")) {
            fail(501, "Transfer-Encoding '" + transferCodings + "' is not implemented: send the body plain or chunked",
                 "Transfer-Encoding");
            return false;
        }
        state_ = State::ChunkSize;
        return true;
    }
    if (!lengths.empty()) {
        for (const auto length : lengths) {
            if (!allDigits(length)) {
                fail(400, "Content-Length is not a number", "Content-Length");
                return false;
            }
            if (length != lengths.front()) {
                fail(400, "conflicting Content-Length headers", "body");
                return false;
            }
        }
        // Too many digits to be a size, or more than the limit: 413 before a byte of it is read.
        const std::string_view digits = lengths.front();
        const std::size_t significant = digits.size() - std::min(digits.find_first_not_of('0'), digits.size());
        const std::size_t size = significant > 18 ? SIZE_MAX : std::stoull(std::string(digits));
        if (size > limits_.maxBodyBytes) {
            fail(413, "body larger than " + std::to_string(limits_.maxBodyBytes) + " bytes", "body");
            return false;
        }
        bodyLeft_ = size;
    }
    state_ = bodyLeft_ > 0 ? State::Body : State::Done;
    return true;
}

HttpRequestReader::Status HttpRequestReader::feed(std::string_view data, std::size_t& consumed) {
    std::size_t pos = 0;
    bool tooLong = false;
    auto needMore = [&] {
        consumed = pos;
        return Status::NeedMore;
    };
    for (;;) {
        switch (state_) {
            case State::RequestLine:
                if (!takeLine(data, pos, line_, tooLong)) {
                    if (tooLong)
                        return fail(
                            414, "the request line is longer than " + std::to_string(limits_.maxLineBytes) + " bytes",
                            "request");
                    return needMore();
                }
                if (tooLong)
                    return fail(414,
                                "the request line is longer than " + std::to_string(limits_.maxLineBytes) + " bytes",
                                "request");
                if (line_.empty()) continue;  // blank lines before a request are ignored (RFC 9112 §2.2)
                if (line_.find('\r') != std::string::npos) return fail(400, "a bare CR in the request line", "request");
                if (!parseRequestLine(line_)) return Status::Failed;
                line_.clear();
                state_ = State::Headers;
                break;
            case State::Headers:
            case State::Trailers: {
                const bool trailers = state_ == State::Trailers;
                if (!takeLine(data, pos, line_, tooLong)) {
                    if (tooLong)
                        return fail(431,
                                    "a header line is longer than " + std::to_string(limits_.maxLineBytes) + " bytes",
                                    "headers");
                    return needMore();
                }
                headerBytes_ += line_.size() + 2;
                if (tooLong || headerBytes_ > limits_.maxHeaderBytes)
                    return fail(431, "the headers are larger than allowed", "headers");
                if (line_.find('\r') != std::string::npos) return fail(400, "a bare CR in the headers", "headers");
                if (line_.empty()) {
                    line_.clear();
                    if (trailers) {
                        state_ = State::Done;
                    } else if (!startBody()) {
                        return Status::Failed;
                    }
                    break;
                }
                // Trailer fields are checked like headers, then dropped: nothing here reads them.
                const std::size_t kept = request_.headers.size();
                if (!parseHeaderLine(line_)) return Status::Failed;
                if (trailers) request_.headers.resize(kept);
                line_.clear();
                break;
            }
            case State::Body:
            case State::ChunkData: {
                const std::size_t take = std::min(bodyLeft_, data.size() - pos);
                request_.body.append(data.substr(pos, take));
                pos += take;
                bodyLeft_ -= take;
                if (bodyLeft_ > 0) return needMore();
                state_ = state_ == State::Body ? State::Done : State::ChunkDataEnd;
                break;
            }
            case State::ChunkSize: {
                if (!takeLine(data, pos, line_, tooLong)) {
                    if (tooLong) return fail(400, "a chunk-size line is too long", "body");
                    return needMore();
                }
                std::size_t digits = 0;
                while (digits < line_.size() && std::isxdigit(static_cast<unsigned char>(line_[digits]))) ++digits;
                const std::string_view rest = trimBlanks(std::string_view(line_).substr(digits));
                if (tooLong || digits == 0 || digits > 15 || !(rest.empty() || rest.front() == ';'))
                    return fail(400, "malformed chunk size", "body");
                const std::size_t size = std::stoull(line_.substr(0, digits), nullptr, 16);
                line_.clear();
                if (size == 0) {
                    state_ = State::Trailers;
                    break;
                }
                if (request_.body.size() + size > limits_.maxBodyBytes)
                    return fail(413, "body larger than " + std::to_string(limits_.maxBodyBytes) + " bytes", "body");
                bodyLeft_ = size;
                state_ = State::ChunkData;
                break;
            }
            case State::ChunkDataEnd:
                if (!takeLine(data, pos, line_, tooLong)) {
                    if (tooLong || (!line_.empty() && line_ != "\r"))
                        return fail(400, "a chunk is longer than its size", "body");
                    return needMore();
                }
                if (!line_.empty()) return fail(400, "a chunk is longer than its size", "body");
                state_ = State::ChunkSize;
                break;
            case State::Done:
                consumed = pos;
                return Status::Complete;
            case State::Failed:
                consumed = pos;
                return Status::Failed;
        }
    }
}

}  // namespace tradehost::host
