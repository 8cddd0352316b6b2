// An alert as one line of JSON: how the alert outbox stores it and the fallback file writes it.
#pragma once

#include <tradehost/alert_sink.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::host {

// {"id","key","severity","title","text","ts_ms","fields":[[name,value],...],"suppressed"}; one
// line, any text escaped.
std::string alertToJson(const Alert& alert);
// nullopt for text that is not such an object.
std::optional<Alert> alertFromJson(const std::string& json);

// The last `limit` alerts of a file of such lines (the alert router's fallback file), newest
// first; reads at most the file's last MiB; lines that do not parse are skipped. A missing file
// has none.
std::vector<Alert> recentAlerts(const std::string& path, std::size_t limit);

}  // namespace tradehost::host
