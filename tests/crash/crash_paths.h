// Where the executables the crash tests start live (compile definitions set by tests/crash/CMakeLists.txt).
#pragma once

#include <string>

namespace tradehost::test {

inline const std::string kTradehostBin = TRADEHOST_BIN;
inline const std::string kEmulatorBin = BINANCE_EMULATOR_BIN;
inline const std::string kSenderBin = SIGNAL_SENDER_BIN;
inline const std::string kOpenSslBin = OPENSSL_BIN;

}  // namespace tradehost::test
