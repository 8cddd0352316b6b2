// The emulators' TLS server context, built in code from a certificate and key made at test time.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>

#include <mutex>
#include <string>

namespace tradehost::tools {

// No SSLManager defaults and no interactive passphrase/certificate handlers: everything the
// server needs is given here. Throws Poco::Exception if the files cannot be loaded.
inline Poco::Net::Context::Ptr makeServerTlsContext(const std::string& certFile, const std::string& keyFile) {
    static std::once_flag sslInit;
    std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Params params;
    params.privateKeyFile = keyFile;
    params.certificateFile = certFile;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!MD5";
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
}

}  // namespace tradehost::tools
