// Reading a request body the way HTTP/1.1 defines it, which Poco 1.11's server does not.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/StreamCopier.h>

#include <string>

namespace tradehost::tools {

// RFC 7230 3.3.3: a request with neither Content-Length nor chunked encoding has no body. Poco
// instead reads a POST/DELETE without Content-Length until the peer closes, which would hang a
// `curl -X POST` (and any keep-alive client) until the server timeout. The whole body is read
// so the next request on a kept-alive connection starts at the right byte.
inline std::string readBody(Poco::Net::HTTPServerRequest& request) {
    std::string body;
    if (request.hasContentLength() || request.getChunkedTransferEncoding())
        Poco::StreamCopier::copyToString(request.stream(), body);
    return body;
}

}  // namespace tradehost::tools
