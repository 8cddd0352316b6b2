// The "file_alerts" sink: appends every alert as one fsynced JSON line to a local file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tradehost/alert_sink.h"
#include "tradehost/context.h"
#include "tradehost/settings.h"

namespace tradehost::file_alerts {

// Appends `text` to `out` as a JSON string literal, quotes included. Control characters become
// \u00XX; valid UTF-8 is copied as it is; each byte that is not part of valid UTF-8 becomes
// U+FFFD, so a line always parses whatever bytes an alert carries (a venue's error body, say).
void appendJsonString(std::string& out, std::string_view text);

// The alert as one JSON object, without the newline:
// {"ts":…,"id":…,"key":…,"severity":…,"title":…,"text":…,"fields":{…},"suppressed":…}
// `ts` is the alert's timestamp, or `nowMs` when the alert carries none.
std::string alertToJson(const Alert& alert, std::int64_t nowMs);

// One line per alert, appended with O_APPEND in a single write() so that several writers on the
// same file (this sink, the host's fallback file) never interleave inside a line, and
// fdatasync'ed before send() says Ok. If the file is deleted or renamed away while open, the next
// send() recreates it (and its directories) at the configured path rather than writing into an
// unlinked inode nobody will read.
class FileAlertSink final : public AlertSink {
public:
    FileAlertSink(const Settings& settings, PluginContext& context);
    ~FileAlertSink() override;
    FileAlertSink(const FileAlertSink&) = delete;
    FileAlertSink& operator=(const FileAlertSink&) = delete;

    static SettingsSchema settingsSchema();

    void start() override;
    void stop() noexcept override;
    SendResult send(const Alert& alert) override;

private:
    // Creates missing parent directories and opens the file; false with `error` set on failure.
    bool openFile(std::string& error);
    // False when the open file is no longer the one at path_ (deleted, renamed away) or unusable.
    bool fileStillAtPath();
    void closeFile() noexcept;

    PluginContext& context_;
    const std::string path_;
    int fd_ = -1;
    // A write failed part-way and left a fragment without its newline at the end of the file.
    bool tornLine_ = false;
};

}  // namespace tradehost::file_alerts
