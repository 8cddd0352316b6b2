// Reads HTTP/1.1 requests out of a connection's bytes, incrementally and within strict limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradehost::host {

struct HttpRequest {
    std::string method;
    std::string target;    // as sent: origin-form "/webhook?x" or absolute-form "http://host/webhook"
    std::string path;      // the path of the target, without query
    int minorVersion = 1;  // HTTP/1.<minor>
    std::vector<std::pair<std::string, std::string>> headers;  // in order; values without surrounding blanks
    std::string body;
    bool keepAlive = true;

    // The first header named `name` (ASCII case-insensitive), or nullptr.
    const std::string* header(std::string_view name) const;
    // Every field named `name` joined with ", " (RFC 9110 §5.3: a list header sent in pieces), or
    // nullopt when there is none.
    std::optional<std::string> joinedHeader(std::string_view name) const;
};

// Why a request cannot be served; the connection is answered `status` and closed.
struct HttpError {
    int status = 400;
    std::string message;
    std::string field;  // "Content-Length", "body", "headers", ...
};

// Framing follows RFC 9112 and refuses what request smuggling uses: Content-Length together with
// Transfer-Encoding, Content-Lengths that disagree or are not plain digits, transfer codings other
// than chunked, obsolete line folding, whitespace before a header's colon. A body announced larger
// than the limit is refused (413) before it is read; a chunked one as soon as it passes the limit.
// Lines may end in CRLF or a bare LF. Not thread-safe: one reader per connection.
class HttpRequestReader {
public:
    struct Limits {
        std::size_t maxLineBytes = 8192;  // request line, each header line, each chunk-size line
        std::size_t maxHeaders = 100;
        std::size_t maxHeaderBytes = 65536;  // all header lines together
        std::size_t maxBodyBytes = 65536;
    };
    enum class Status { NeedMore, Complete, Failed };

    explicit HttpRequestReader(Limits limits) : limits_(limits) {}

    // Reads from `data`, setting `consumed` to the bytes used (the rest belongs to later requests).
    // Complete: request() holds the request; Failed: error() says why.
    Status feed(std::string_view data, std::size_t& consumed);

    // The request's head is read, it asked for "100-continue", and its body is still to come: the
    // caller answers "100 Continue" once (then calls continueSent()).
    bool wantsContinue() const { return state_ == State::Body && expectContinue_ && !continueSent_; }
    void continueSent() { continueSent_ = true; }

    // Some byte of a request has been read (a request is under way, not an idle connection).
    bool started() const { return state_ != State::RequestLine || !line_.empty(); }
    const HttpRequest& request() const { return request_; }
    HttpRequest& request() { return request_; }
    const HttpError& error() const { return error_; }
    // Ready for the connection's next request.
    void reset();

private:
    enum class State { RequestLine, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, Done, Failed };

    Status fail(int status, std::string message, std::string field = "");
    // Takes one line (without its end) into `line`; false when more bytes are needed.
    bool takeLine(std::string_view data, std::size_t& pos, std::string& line, bool& tooLong);
    bool parseRequestLine(const std::string& line);
    bool parseHeaderLine(const std::string& line);
    bool startBody();

    Limits limits_;
    State state_ = State::RequestLine;
    HttpRequest request_;
    HttpError error_;
    std::string line_;  // a line being gathered across feeds
    std::size_t headerBytes_ = 0;
    std::size_t bodyLeft_ = 0;  // Content-Length or current chunk bytes still to read
    bool expectContinue_ = false;
    bool continueSent_ = false;
};

}  // namespace tradehost::host
