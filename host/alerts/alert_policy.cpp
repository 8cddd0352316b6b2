// When an alert is told to a human: dedup, repeats, resolved once, inhibition.
#include "alerts/alert_policy.h"

namespace tradehost::host {

Alert AlertPolicy::toAlert(const RaisedAlert& raised, std::int64_t nowMs, int suppressed) const {
    Alert a;
    a.key = raised.key();
    a.severity = raised.severity;
    a.title = raised.title;
    a.text = raised.text;
    a.timestampMs = nowMs;
    a.fields = raised.fields;
    a.suppressedCount = suppressed;
    return a;
}

AlertPolicy::Decision AlertPolicy::raise(const RaisedAlert& raised, std::int64_t nowMs) {
    Decision d;
    if (raised.perOrder) {
        if (const auto it = unreachable_.find(raised.instance); it != unreachable_.end()) {
            ++it->second;
            if (metrics_.inhibited) metrics_.inhibited->inc();
            d.verdict = Verdict::Mute;
            return d;
        }
    }
    KeyState& k = keys_[raised.key()];
    const bool told = k.lastSentMs != 0;
    const bool escalated = told && static_cast<int>(raised.severity) > static_cast<int>(k.severity);
    const bool insideDedup = told && nowMs - k.lastSentMs < options_.dedupWindowMs;
    const bool unchangedCondition =
        raised.condition && k.active && !escalated && nowMs - k.lastSentMs < options_.repeatIntervalMs;
    // A worse severity is news at once; otherwise the same key is told at most once per window,
    // and an unchanged condition once per repeat interval.
    if (!escalated && (insideDedup || unchangedCondition)) {
        ++k.suppressed;
        if (metrics_.deduplicated) metrics_.deduplicated->inc();
        d.verdict = Verdict::Suppress;
        return d;
    }
    d.verdict = Verdict::Send;
    d.alert = toAlert(raised, nowMs, k.suppressed);
    k.lastSentMs = nowMs;
    k.suppressed = 0;
    k.active = raised.condition;
    k.severity = raised.severity;
    k.title = raised.title;
    return d;
}

std::optional<Alert> AlertPolicy::resolve(const std::string& key, const std::string& text, std::int64_t nowMs) {
    const auto it = keys_.find(key);
    if (it == keys_.end() || !it->second.active) return std::nullopt;
    Alert a;
    a.key = key;
    a.severity = Severity::Info;
    a.title = "resolved: " + it->second.title;
    a.text = text;
    a.timestampMs = nowMs;
    a.suppressedCount = it->second.suppressed;
    keys_.erase(it);  // the next occurrence is news again
    return a;
}

std::uint64_t AlertPolicy::setUnreachable(const std::string& instance, bool unreachable) {
    if (unreachable) {
        unreachable_.emplace(instance, 0);
        return 0;
    }
    const auto it = unreachable_.find(instance);
    if (it == unreachable_.end()) return 0;
    const std::uint64_t muted = it->second;
    unreachable_.erase(it);
    return muted;
}

std::uint64_t AlertPolicy::mutedFor(const std::string& instance) const {
    const auto it = unreachable_.find(instance);
    return it == unreachable_.end() ? 0 : it->second;
}

void AlertPolicy::forgetOlderThan(std::int64_t nowMs) {
    for (auto it = keys_.begin(); it != keys_.end();) {
        if (!it->second.active && nowMs - it->second.lastSentMs >= options_.repeatIntervalMs)
            it = keys_.erase(it);
        else
            ++it;
    }
}

}  // namespace tradehost::host
