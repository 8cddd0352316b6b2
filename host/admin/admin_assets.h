// The admin page's files (host/admin/web/), compiled into the executable: nothing is read from
// disk at run time and nothing comes from elsewhere.
#pragma once

#include <string>
#include <vector>

namespace tradehost::host {

struct AdminAsset {
    std::string name;  // file name, e.g. "app.js"
    std::string contentType;
    std::string content;
};

const std::vector<AdminAsset>& adminAssets();

}  // namespace tradehost::host
