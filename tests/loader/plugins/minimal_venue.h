// A do-nothing venue the broken test plugins build on; only its failure modes matter.
#pragma once

#include <stdexcept>

#include <tradehost/plugin.h>

namespace tradehost::test {

class MinimalVenue : public Venue {
public:
    MinimalVenue(const Settings&, PluginContext&) {}
    static SettingsSchema settingsSchema() { return {}; }
    void start() override {}
    void stop() noexcept override {}
    ClientOrderIdRules clientOrderIdRules() const override { return {}; }
    PlaceResult placeOrder(const OrderIntent&) override { return Rejected{"TEST", "minimal venue"}; }
    QueryResult queryOrder(const std::string&, const std::string&) override { return NotFound{}; }
    CancelResult cancelOrder(const std::string&, const std::string&) override { return NotOpen{}; }
    PositionsResult positions() override { return Positions{}; }
    OpenOrdersResult openOrders() override { return OpenOrders{}; }
    SymbolRulesResult symbolRules(const std::string&) override { return NotFound{}; }
};

}  // namespace tradehost::test
