// Secrets the host makes for itself on first start and keeps in the storage dir.
#include "app/webhook_secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "text/secrets.h"

namespace tradehost::host {

std::filesystem::path webhookSecretPath(const std::filesystem::path& storageDir) {
    return storageDir / "webhook.secret";
}

std::filesystem::path adminTokenPath(const std::filesystem::path& storageDir) { return storageDir / "admin.token"; }

std::string loadOrCreateWebhookSecret(const std::filesystem::path& storageDir) {
    return loadOrCreateSecretFile(webhookSecretPath(storageDir));
}

std::string loadOrCreateAdminToken(const std::filesystem::path& storageDir) {
    return loadOrCreateSecretFile(adminTokenPath(storageDir));
}

std::string loadOrCreateSecretFile(const std::filesystem::path& path) {
    const auto storageDir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const auto fail = [&](const std::string& why) { return std::runtime_error(path.string() + ": " + why); };
    std::error_code ec;
    std::filesystem::create_directories(storageDir, ec);
    if (ec) throw fail("cannot create the storage directory: " + ec.message());

    const std::string made = randomHex(32);
    // O_EXCL: of two first starts at once, one makes the secret and both read the same one.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        const std::string line = made + "\n";
        const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) {
            ::unlink(path.c_str());
            throw fail(std::string("cannot write a new secret: ") + std::strerror(errno));
        }
        return made;
    }
    if (errno != EEXIST) throw fail(std::string("cannot create: ") + std::strerror(errno));

    std::ifstream in(path);
    std::string secret;
    if (!in) throw fail(std::string("cannot read: ") + std::strerror(errno));
    std::getline(in, secret);
    while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
    if (secret.size() < 16) throw fail("holds no usable secret (16 characters or more); delete it to make a new one");
    ::chmod(path.c_str(), 0600);
    return secret;
}

}  // namespace tradehost::host
