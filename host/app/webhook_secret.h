// The embedded default deployment's webhook secret: made on first start, kept in the storage dir.
#pragma once

#include <filesystem>
#include <string>

namespace tradehost::host {

// The secret in `<storageDir>/webhook.secret`, made there (256 random bits as hex, mode 0600, the
// directory 0700) when the file does not exist yet. Throws std::runtime_error naming the file
// when it cannot be read or made, or holds no usable secret.
std::string loadOrCreateWebhookSecret(const std::filesystem::path& storageDir);

std::filesystem::path webhookSecretPath(const std::filesystem::path& storageDir);

}  // namespace tradehost::host
