// An alert as one line of JSON: how the alert outbox stores it and the fallback file writes it.
#pragma once

#include <tradehost/alert_sink.h>

#include <optional>
#include <string>

namespace tradehost::host {

// {"id","key","severity","title","text","ts_ms","fields":[[name,value],...],"suppressed"}; one
// line, any text escaped.
std::string alertToJson(const Alert& alert);
// nullopt for text that is not such an object.
std::optional<Alert> alertFromJson(const std::string& json);

}  // namespace tradehost::host
