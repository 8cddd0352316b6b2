// Parameters of a fapi request, from the query string and the form body, and the bytes the signature covers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "api_error.h"

namespace tradehost::binance_emulator {

class RequestParams {
public:
    enum class SignatureState { Missing, NotLast, Present };

    // Fails with -1101 when one source repeats a name, -1100 on bad percent-encoding.
    static std::variant<RequestParams, ApiError> parse(const std::string& rawQuery, const std::string& rawBody);

    // The query-string value wins when a name appears in both places (documented fapi rule).
    // An empty value counts as absent, as Binance's "was empty/null" wording implies.
    std::optional<std::string> get(const std::string& name) const;
    bool has(const std::string& name) const { return get(name).has_value(); }
    // Present at all, even empty: "sent when not required" checks look at presence.
    bool sent(const std::string& name) const { return query_.count(name) != 0 || body_.count(name) != 0; }

    SignatureState signatureState() const { return signatureState_; }
    // totalParams = query + body (no '&' between) without the trailing "signature=..." parameter.
    const std::string& signedPayload() const { return signedPayload_; }
    const std::string& signature() const { return signature_; }

private:
    std::map<std::string, std::string> query_;
    std::map<std::string, std::string> body_;
    SignatureState signatureState_ = SignatureState::Missing;
    std::string signedPayload_;
    std::string signature_;
};

}  // namespace tradehost::binance_emulator
