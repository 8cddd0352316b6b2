// Where the executables (and the preload shim) the crash tests start live (compile definitions set by
// tests/crash/CMakeLists.txt).
#pragma once

#include <string>

namespace tradehost::test {

inline const std::string kTradehostBin = TRADEHOST_BIN;
inline const std::string kEmulatorBin = BINANCE_EMULATOR_BIN;
inline const std::string kTelegramEmulatorBin = TELEGRAM_EMULATOR_BIN;
inline const std::string kSenderBin = SIGNAL_SENDER_BIN;
inline const std::string kOpenSslBin = OPENSSL_BIN;
// LD_PRELOAD library that fails journal writes and syncs on demand (storage_fault_shim.cpp).
inline const std::string kStorageFaultShim = STORAGE_FAULT_SHIM;

}  // namespace tradehost::test
