// Entry point of the tradehost executable.
#include "app/tradehost_app.h"

int main(int argc, char** argv) {
    tradehost::host::TradehostApp app;
    return app.execute(argc, argv);
}
