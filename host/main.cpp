// Entry point of the tradehost executable.
#include <sys/stat.h>

#include "app/tradehost_app.h"

int main(int argc, char** argv) {
    // Everything tradehost writes (journal, gate, event log, secrets, plugin state) is the
    // operator's alone: files 0600, directories 0700, whoever creates them (SQLite, plugins).
    ::umask(077);
    tradehost::host::TradehostApp app;
    return app.execute(argc, argv);
}
