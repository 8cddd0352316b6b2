// Secrets the host makes for itself on first start and keeps in the storage dir: the embedded
// default deployment's webhook secret, and the admin page's token when none is configured.
#pragma once

#include <filesystem>
#include <string>

namespace tradehost::host {

// The secret in `<storageDir>/webhook.secret`, made there (256 random bits as hex, mode 0600, the
// directory 0700) when the file does not exist yet. Throws std::runtime_error naming the file
// when it cannot be read or made, or holds no usable secret.
std::string loadOrCreateWebhookSecret(const std::filesystem::path& storageDir);
std::filesystem::path webhookSecretPath(const std::filesystem::path& storageDir);

// The same for `<storageDir>/admin.token`.
std::string loadOrCreateAdminToken(const std::filesystem::path& storageDir);
std::filesystem::path adminTokenPath(const std::filesystem::path& storageDir);

// The secret in `path` (its directory is created 0700 where missing), made as above if absent.
std::string loadOrCreateSecretFile(const std::filesystem::path& path);

}  // namespace tradehost::host
