// Query/body parameter parsing and signature-payload extraction for fapi requests.
#include "request_params.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <string_view>
#include <vector>

namespace tradehost::binance_emulator {
namespace {

struct Segment {
    std::string name;
    std::string value;
    std::size_t begin = 0;  // offset of the segment in the raw string
};

std::optional<std::vector<Segment>> splitSegments(const std::string& raw) {
    std::vector<Segment> out;
    std::size_t pos = 0;
    while (pos <= raw.size() && !raw.empty()) {
        std::size_t end = raw.find('&', pos);
        if (end == std::string::npos) end = raw.size();
        const std::string_view piece(raw.data() + pos, end - pos);
        if (!piece.empty()) {
            Segment seg;
            seg.begin = pos;
            const std::size_t eq = piece.find('=');
            try {
                // Form encoding: '+' is a space there, and fapi clients use it that way.
                Poco::URI::decode(std::string(piece.substr(0, eq)), seg.name, true);
                if (eq != std::string_view::npos) Poco::URI::decode(std::string(piece.substr(eq + 1)), seg.value, true);
            } catch (const Poco::Exception&) {
                return std::nullopt;
            }
            out.push_back(std::move(seg));
        }
        if (end == raw.size()) break;
        pos = end + 1;
    }
    return out;
}

}  // namespace

std::variant<RequestParams, ApiError> RequestParams::parse(const std::string& rawQuery, const std::string& rawBody) {
    RequestParams p;
    auto query = splitSegments(rawQuery);
    auto body = splitSegments(rawBody);
    if (!query || !body) return errors::illegalCharacters();
    for (const auto& s : *query) {
        if (!p.query_.emplace(s.name, s.value).second) return errors::duplicateParameter();
    }
    for (const auto& s : *body) {
        if (!p.body_.emplace(s.name, s.value).second) return errors::duplicateParameter();
    }

    // The docs require the signature to be the last parameter of totalParams; whatever precedes
    // it, byte for byte, is what the client must have signed.
    const bool inQuery = p.query_.count("signature") != 0;
    const bool inBody = p.body_.count("signature") != 0;
    if (!inQuery && !inBody) {
        p.signatureState_ = SignatureState::Missing;
    } else if (!body->empty()) {
        const Segment& last = body->back();
        if (last.name == "signature" && !inQuery && rawBody.find('&', last.begin) == std::string::npos) {
            p.signatureState_ = SignatureState::Present;
            p.signature_ = last.value;
            p.signedPayload_ = rawQuery + rawBody.substr(0, last.begin == 0 ? 0 : last.begin - 1);
        } else {
            p.signatureState_ = SignatureState::NotLast;
        }
    } else {
        const Segment& last = query->back();
        if (last.name == "signature" && rawQuery.find('&', last.begin) == std::string::npos) {
            p.signatureState_ = SignatureState::Present;
            p.signature_ = last.value;
            p.signedPayload_ = rawQuery.substr(0, last.begin == 0 ? 0 : last.begin - 1);
        } else {
            p.signatureState_ = SignatureState::NotLast;
        }
    }
    return p;
}

std::optional<std::string> RequestParams::get(const std::string& name) const {
    auto q = query_.find(name);
    if (q != query_.end()) {
        if (q->second.empty()) return std::nullopt;
        return q->second;
    }
    auto b = body_.find(name);
    if (b != body_.end() && !b->second.empty()) return b->second;
    return std::nullopt;
}

}  // namespace tradehost::binance_emulator
